"""Starting a real `celery worker` process for a test, against a given broker and the test database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_test_db() -> str:
    """The URL of the database this test is using, so the worker reads and writes the same rows."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def celery_worker(
    *,
    broker_url: str,
    data_dir: Path,
    queues: str = "default",
    extra_env: dict[str, str] | None = None,
    app: str = "portal",
    name: str = "test",
) -> Iterator[subprocess.Popen[str]]:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("CELERY_")},
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF",
        "DATABASE_URL": database_url_of_test_db(),
        "CELERY_BROKER_URL": broker_url,
        "PORTAL_DATA_DIR": str(data_dir),
        **(extra_env or {}),
    }
    log = open(data_dir / "worker.log", "w")  # noqa: SIM115 — closed below, after the process ends
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            f"--hostname={name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def short_scratch() -> Iterator[str]:
    """A scratch folder for a runner with a short path: a kernel's IPC sockets live under it, and a socket's path
    may not exceed 107 characters (pytest's temporary folders grow with the test's name and the session count)."""
    folder = tempfile.mkdtemp(prefix="go3s-", dir="/tmp")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def worker_log(data_dir: Path) -> str:
    path = data_dir / "worker.log"
    return path.read_text() if path.exists() else ""


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
