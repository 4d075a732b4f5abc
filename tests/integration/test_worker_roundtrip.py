"""A task makes the whole trip: client → broker → a real worker process → the database → result backend."""

from __future__ import annotations

import uuid

import pytest
from celery import Celery
from django.conf import settings as django_settings

from tests.integration.workers import celery_worker, reachable, worker_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _roundtrip(client: Celery, data_dir, expected_users: int) -> None:
    nonce = uuid.uuid4().hex
    result = client.send_task("portal.tasks.ping", args=[nonce], queue="default")
    try:
        answer = result.get(timeout=60, interval=0.05)
    except Exception:
        pytest.fail("no answer from the worker; its log:\n" + worker_log(data_dir))
    assert answer["nonce"] == nonce
    assert answer["users"] == expected_users, "the worker must read the test's database"


def test_roundtrip_through_the_embedded_filesystem_broker(tmp_path, make_user):
    make_user()
    make_user()
    from django.conf import settings

    folders = {
        "data_folder_in": str(tmp_path / "broker" / "messages"),
        "data_folder_out": str(tmp_path / "broker" / "messages"),
        "control_folder": str(tmp_path / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    for folder in ("broker/messages", "broker/control", "celery-results"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    client = Celery(broker="filesystem://", backend=f"file://{tmp_path / 'celery-results'}", set_as_current=False)
    client.conf.broker_transport_options = folders
    client.conf.task_serializer = "json"
    assert settings.BROKER_IS_EMBEDDED

    with celery_worker(broker_url="filesystem://", data_dir=tmp_path):
        _roundtrip(client, tmp_path, expected_users=2)


@pytest.mark.skipif(
    not (django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and reachable("127.0.0.1", 6379)),
    reason="the Redis round trip runs in the PostgreSQL pass, with Redis on 127.0.0.1:6379",
)
def test_roundtrip_through_redis(tmp_path, make_user):
    make_user()
    broker = "redis://127.0.0.1:6379/14"
    client = Celery(broker=broker, backend=broker, set_as_current=False)
    client.conf.task_serializer = "json"
    client.connection_for_write().default_channel.client.flushdb()

    with celery_worker(broker_url=broker, data_dir=tmp_path):
        _roundtrip(client, tmp_path, expected_users=1)
