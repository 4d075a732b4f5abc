"""Two hosts that share nothing but the database, the broker and the object storage: a web process (gunicorn)
and a runner (a Celery worker), each with its own PORTAL_DATA_DIR, the storage on moto's S3 server. A curator
registers an example model through the web process, a student runs a course notebook, a steward starts the
evaluation of the model (one of its three runs is let through); the runner executes them, reading the model's
package from the bucket, and the web process serves every result.

The SQLite test database and the embedded broker's folder are the shared database and broker here; in the
PostgreSQL pass they are PostgreSQL and Redis."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import Role
from governance.models import EvaluationRun
from notebooks.models import Run
from notebooks.services import catalogue_sync
from tests.governance.factories import PACKAGE_DIR
from tests.integration.workers import (
    ROOT,
    celery_worker,
    database_url_of_test_db,
    reachable,
    short_scratch,
    wait_for,
    worker_log,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

USE_REDIS = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and reachable("127.0.0.1", 6379)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def shared_broker(tmp_path: Path) -> dict[str, str]:
    """The one thing besides the database and the storage both hosts are given: the broker."""
    if USE_REDIS:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=12).flushdb()
        return {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/12"}
    return {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(tmp_path / "broker")}


@pytest.fixture
def web(tmp_path: Path, s3_server, shared_broker) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The web host: gunicorn on a free port, its own data directory, the test database."""
    data_dir = tmp_path / "w"
    data_dir.mkdir()
    bucket = s3_server.new_bucket()
    storage = s3_server.environment(bucket)
    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "AWS_"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_of_test_db(),
        "PORTAL_DATA_DIR": str(data_dir),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **shared_broker,
        **storage,
    }
    log = open(data_dir / "web.log", "w")  # noqa: SIM115 — closed below, after the process ends
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "120",
            "--no-control-socket",
        ],  # one per user by default: two suites at once would share it
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: reachable("127.0.0.1", port) or process.poll() is not None, timeout=60)
        assert process.poll() is None, (data_dir / "web.log").read_text()
        yield f"http://127.0.0.1:{port}", {**shared_broker, **storage}, data_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _session(user) -> requests.Session:
    """A browser session on the web host for `user` (the session is in the shared database)."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    token = secrets.token_hex(16)  # 32 characters: a CSRF secret the form posts echo
    session.cookies.set("csrftoken", token)
    session.headers["X-CSRFToken"] = token
    return session


def _token(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _final(run_id: int, timeout: float) -> Run:
    assert wait_for(lambda: Run.objects.get(pk=run_id).is_terminal, timeout=timeout, interval=0.5)
    return Run.objects.get(pk=run_id)


def test_a_web_host_and_a_runner_host_share_only_database_broker_and_storage(web, s3_server, make_user, tmp_path):
    url, shared, web_dir = web
    catalogue_sync(actor=None, root=Path(django_settings.BASE_DIR) / "catalogue")
    curator, student, steward = make_user(Role.CURATOR), make_user(Role.STUDENT), make_user(Role.STEWARD)
    runner_dir = tmp_path / "r"
    runner_dir.mkdir()

    # The curator registers an example model through the web host: its package goes to the bucket.
    files = {name: (name, (PACKAGE_DIR / name).read_bytes()) for name in ("model.onnx", "eval.npz")}
    registered = requests.post(
        f"{url}/api/v1/models/",
        headers=_token(curator),
        data={"slug": "robust", "name": "Robust", "version": "1.0.0", "licence": "Apache-2.0", "model_card": "# Card",
              "metadata": (PACKAGE_DIR / "metadata.json").read_text()},
        files={"onnx_file": files["model.onnx"], "eval_file": files["eval.npz"]},
        timeout=60,
    )  # fmt: skip
    assert registered.status_code == 201, registered.text[:2000]

    with (
        short_scratch() as scratch,
        celery_worker(
            broker_url=shared["CELERY_BROKER_URL"],
            data_dir=runner_dir,
            queues="notebooks-cpu",
            extra_env={**shared, "NOTEBOOK_KERNEL_POOL_SIZE": "1", "NOTEBOOK_SCRATCH_DIR": scratch},
        ),
    ):
        course = requests.post(
            f"{url}/api/v1/runs/",
            headers=_token(student),
            json={"notebook": "tep001", "parameters": {"default_text_chars": 40}},
            timeout=60,
        )
        assert course.status_code == 201, course.text[:2000]
        steward_session = _session(steward)
        started = steward_session.post(f"{url}/health/robust/evaluations/start/", allow_redirects=False, timeout=60)
        assert started.status_code == 302, started.text[:2000]

        # One evaluation run is enough to show the package reaching the runner: the steward cancels the other
        # two while they wait (the suite's time is shared; tests/catalogue runs all three in-process).
        evaluation_runs = list(EvaluationRun.objects.order_by("pk"))
        assert len(evaluation_runs) == 3
        for item in evaluation_runs[1:]:
            cancelled = requests.post(f"{url}/api/v1/runs/{item.run_id}/cancel/", headers=_token(steward), timeout=60)
            assert cancelled.status_code in (200, 202), cancelled.text[:2000]
        course_run = _final(course.json()["id"], timeout=240)
        evaluated = _final(evaluation_runs[0].run_id, timeout=240)
        # The runner removes each run's copy of its inputs right after storing the result (the person waiting
        # sees the result first), so the folder may outlive the final status by a moment.
        deadline = time.monotonic() + 30
        while list(Path(scratch).glob("run-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not list(Path(scratch).glob("run-*"))

    log = worker_log(runner_dir)
    assert course_run.status == Run.Status.SUCCEEDED, (course_run.error, log[-3000:])
    assert evaluated.status == Run.Status.SUCCEEDED, (evaluated.error, log[-3000:])
    assert course_run.runner and evaluated.runner and course_run.runner.hostname == evaluated.runner.hostname

    # The web host serves what the runner stored, under the same checks as ever.
    student_session = _session(student)
    html = student_session.get(f"{url}/runs/{course_run.pk}/output.html", timeout=60)
    assert html.status_code == 200 and "tep001" in html.text.lower()
    assert html.headers["Content-Security-Policy"].startswith("sandbox")
    assert student_session.get(f"{url}/runs/{evaluated.pk}/output.html", timeout=60).status_code == 404
    notebook = steward_session.get(f"{url}/runs/{evaluated.pk}/output.ipynb", timeout=60)
    assert notebook.status_code == 200 and notebook.json()["metadata"]["portal_run"]["run"] == evaluated.pk
    first = EvaluationRun.objects.select_related("evaluation").order_by("pk").first()
    assert first.outcome == "counted" and first.evaluation.run_id == evaluated.pk
    evidence = requests.get(f"{url}/health/evidence/{first.evaluation.pk}/", timeout=60)
    assert evidence.status_code == 200 and evidence.json()["metadata"]["portal_run"]["run"] == evaluated.pk
    assert [item.run.status for item in EvaluationRun.objects.select_related("run").order_by("pk")[1:]] == ["cancelled"] * 2

    # Nothing of it is on either host's disk: no media, no packages; the runner's scratch is gone.
    keys = {item["Key"] for item in s3_server.client().list_objects_v2(Bucket=shared["AWS_STORAGE_BUCKET_NAME"])["Contents"]}
    assert {course_run.output_html.name, course_run.output_notebook.name, evaluated.output_html.name} <= keys
    assert any(key.endswith("model.onnx") for key in keys)
    for host in (web_dir, runner_dir):
        assert not (host / "media").exists() and not (host / "packages").exists()
        assert not list(host.glob("scratch/run-*"))
