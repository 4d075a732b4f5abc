"""Wiring-level tasks: a round-trip probe and housekeeping of the embedded result store."""

from __future__ import annotations

import socket
from typing import Any

from celery import current_app, shared_task
from django.contrib.auth import get_user_model


@shared_task(name="portal.tasks.ping")
def ping(nonce: str) -> dict[str, Any]:
    """Answers with the nonce, the worker's host and a database read, proving broker, worker and DB."""
    return {"nonce": nonce, "host": socket.gethostname(), "users": get_user_model().objects.count()}


@shared_task(name="portal.tasks.results_cleanup")
def results_cleanup() -> None:
    """Deletes expired task results (the file backend keeps one file per result until told otherwise)."""
    current_app.backend.cleanup()
