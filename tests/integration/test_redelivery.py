"""Redis delivers a message again when it is not acknowledged within the visibility timeout. A run's message is
acknowledged when the run ends, so a run longer than the timeout is delivered to a second runner while the first
still executes it: the second must skip it (the run is claimed), and the run executes once. The settings keep
real runners out of this (the visibility timeout must outlast NOTEBOOK_MAX_TIMEOUT, tests/portal/test_env.py);
here two runners are given a 3 s timeout on purpose. Redis only (the embedded broker has no visibility timeout),
in the PostgreSQL pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import Role
from notebooks.models import Run
from portal.celery import app
from tests.integration.test_runs_through_a_worker import _point_app_at
from tests.integration.workers import celery_worker, reachable, short_scratch, wait_for, worker_log

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and reachable("127.0.0.1", 6379)),
        reason="redelivery is Redis's: runs in the PostgreSQL pass, with Redis",
    ),
]

BROKER = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_broker(settings, tmp_path: Path) -> Iterator[str]:
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    _point_app_at(BROKER, {"visibility_timeout": 3})
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield BROKER
    _point_app_at(saved[0], saved[1])
    app.conf.task_always_eager = saved[2]


def test_a_run_longer_than_the_visibility_timeout_executes_once(catalogue, redis_broker, tmp_path, make_user, api):
    client = api(make_user(Role.STUDENT))
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    env = {"NOTEBOOK_CATALOGUE_DIR": str(catalogue), "NOTEBOOK_KERNEL_POOL_SIZE": "0"}
    options = {"app": "tests.integration.short_visibility", "queues": "notebooks-cpu"}
    with (
        short_scratch() as scratch_a,
        short_scratch() as scratch_b,
        celery_worker(
            broker_url=redis_broker,
            data_dir=first,
            name="runner-a",
            extra_env={**env, "NOTEBOOK_SCRATCH_DIR": scratch_a},
            **options,
        ),
        celery_worker(
            broker_url=redis_broker,
            data_dir=second,
            name="runner-b",
            extra_env={**env, "NOTEBOOK_SCRATCH_DIR": scratch_b},
            **options,
        ),
    ):
        assert wait_for(lambda: "ready." in worker_log(first) and "ready." in worker_log(second), timeout=60)
        response = client.post("/api/v1/runs/", {"notebook": "sleeps", "parameters": {"steps": 6}}, format="json")
        assert response.status_code == 201, response.content
        run_id = response.json()["id"]
        assert wait_for(lambda: Run.objects.get(pk=run_id).is_terminal, timeout=120, interval=0.5)
        # The redelivered message is received by the idle runner, which skips it.
        assert wait_for(lambda: f"run {run_id} attempt 1 was not queued any more" in worker_log(first) + worker_log(second), 30)

    run = Run.objects.get(pk=run_id)
    logs = worker_log(first) + worker_log(second)
    assert run.status == Run.Status.SUCCEEDED, (run.error, logs[-3000:])
    assert run.attempt == 1 and run.cells_done == run.cells_total
    # One runner executed it; every other delivery was skipped.
    assert logs.count(": 'succeeded'") == 1 and logs.count(": 'skipped'") >= 1
