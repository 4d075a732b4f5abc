"""Runs through real worker processes: submit → broker → runner → database, a runner killed mid-run,
and the broker down at submit. The embedded file-system broker on SQLite; Redis in the PostgreSQL pass."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from kombu import pools

from accounts.models import Role
from notebooks.models import Run
from notebooks.services import runs_reap, runs_redispatch
from portal.celery import app
from tests.integration.workers import celery_worker, reachable, wait_for, worker_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

USE_REDIS = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and reachable("127.0.0.1", 6379)


def _filesystem_options(root: Path) -> dict[str, object]:
    for folder in ("broker/messages", "broker/control", "celery-results"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(root / "broker/messages"),
        "data_folder_out": str(root / "broker/messages"),
        "control_folder": str(root / "broker/control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def _point_app_at(broker_url: str, options: dict[str, object]) -> None:
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = options
    app.conf.task_always_eager = False
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps producer pools per connection URL, across apps


@pytest.fixture
def broker(tmp_path: Path, settings) -> Iterator[str]:
    """Sends the test process's tasks to a real broker (not eagerly), the one the worker will use."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    if USE_REDIS:
        url = "redis://127.0.0.1:6379/13"
        _point_app_at(url, {"visibility_timeout": 3600})
        with app.connection_for_write() as connection:
            connection.default_channel.client.flushdb()
    else:
        url = "filesystem://"
        _point_app_at(url, _filesystem_options(tmp_path))
    settings.MEDIA_ROOT = tmp_path / "media"
    yield url
    _point_app_at(saved[0], saved[1])
    app.conf.task_always_eager = saved[2]


def _worker_env(catalogue: Path, **extra: str) -> dict[str, str]:
    return {"NOTEBOOK_CATALOGUE_DIR": str(catalogue), "NOTEBOOK_KERNEL_POOL_SIZE": "1", **extra}


def _final(run_id: int, timeout: float) -> Run:
    assert wait_for(lambda: Run.objects.get(pk=run_id).is_terminal, timeout=timeout, interval=0.2)
    return Run.objects.get(pk=run_id)


def test_a_run_submitted_over_the_api_is_executed_by_a_runner(catalogue, broker, tmp_path, make_user, api):
    client = api(make_user(Role.STUDENT))
    with celery_worker(broker_url=broker, data_dir=tmp_path, queues="notebooks-cpu", extra_env=_worker_env(catalogue)):
        response = client.post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 4}}, format="json")
        assert response.status_code == 201, response.content
        run = _final(response.json()["id"], timeout=90)
        body = client.get(f"/api/v1/runs/{run.pk}/").json()

    assert run.status == Run.Status.SUCCEEDED, (run.error, worker_log(tmp_path))
    assert body["metrics"] == {"steps": 4, "ok": True}
    assert body["cells_done"] == body["cells_total"]
    assert body["runner"].startswith("test-")
    assert body["html_url"]
    assert b"total 6" in run.output_html.read()
    assert run.runner is not None and run.runner.queues == ["notebooks-cpu"]


def test_a_runner_killed_mid_run_leaves_no_run_stuck(catalogue, broker, tmp_path, make_user, api):
    client = api(make_user(Role.STUDENT))
    env = _worker_env(catalogue, NOTEBOOK_RUN_HEARTBEAT_TIMEOUT="4")
    with celery_worker(broker_url=broker, data_dir=tmp_path, queues="notebooks-cpu", extra_env=env) as worker:
        run_id = client.post("/api/v1/runs/", {"notebook": "sleeps", "parameters": {"steps": 8}}, format="json").json()["id"]
        assert wait_for(lambda: Run.objects.get(pk=run_id).cells_done >= 3, timeout=60), worker_log(tmp_path)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    killed_at = time.monotonic()

    # The runner is gone: its run stops heartbeating, and the reaper (on a schedule, and when any worker
    # starts) re-queues it once.
    django_settings.NOTEBOOK_RUN_HEARTBEAT_TIMEOUT = 4
    assert wait_for(lambda: runs_reap()["requeued"] == [run_id], timeout=30, interval=1)
    assert Run.objects.get(pk=run_id).attempt == 2

    with celery_worker(broker_url=broker, data_dir=tmp_path, queues="notebooks-cpu", extra_env=env):
        run = _final(run_id, timeout=90)

    assert run.status == Run.Status.SUCCEEDED, (run.error, worker_log(tmp_path))
    assert run.attempt == 2
    assert time.monotonic() - killed_at < 120


def test_broker_down_at_submit_then_dispatched_when_it_returns(catalogue, broker, tmp_path, make_user, api):
    client = api(make_user(Role.STUDENT))
    working = (app.conf.broker_url, app.conf.broker_transport_options)
    _point_app_at("redis://127.0.0.1:6399/0", {"max_retries": 1})  # nothing listens there
    app.conf.broker_connection_timeout = 1

    started = time.monotonic()
    response = client.post("/api/v1/runs/", {"notebook": "short"}, format="json")
    took = time.monotonic() - started

    assert response.status_code == 201, response.content
    assert took < 15
    run = Run.objects.get(pk=response.json()["id"])
    assert (run.status, run.dispatched_at) == (Run.Status.QUEUED, None)

    _point_app_at(*working)
    with celery_worker(broker_url=broker, data_dir=tmp_path, queues="notebooks-cpu", extra_env=_worker_env(catalogue)):
        Run.objects.filter(pk=run.pk).update(created_at=run.created_at.replace(year=run.created_at.year - 1))
        assert runs_redispatch() == [run.pk]
        run = _final(run.pk, timeout=90)

    assert run.status == Run.Status.SUCCEEDED, (run.error, worker_log(tmp_path))
