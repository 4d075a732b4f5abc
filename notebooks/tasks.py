"""Celery tasks of the run engine: thin, taking ids and calling the engine or a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from notebooks.runners import current_runner  # importing it connects the runner's worker signals


@shared_task(name="notebooks.run_execute", acks_late=True, reject_on_worker_lost=True, max_retries=0)
def run_execute(run_id: int, attempt: int) -> str:
    """Safe to receive twice: the executor claims the run with a conditional update first. The runner this
    worker registered as is passed down, so the executor records who ran it."""
    from notebooks.engine.executor import execute_run

    return execute_run(run_id, attempt, runner=current_runner())


@shared_task(name="notebooks.runs_reap")
def runs_reap() -> dict[str, Any]:
    from notebooks.services import runs_reap as reap

    return reap()


@shared_task(name="notebooks.runs_redispatch")
def runs_redispatch() -> list[int]:
    from notebooks.services import runs_redispatch as redispatch

    return redispatch()
