"""Celery tasks of curation: thin, taking ids and calling a service (which makes them safe to run twice).

The task keeps the name it had under governance, so messages queued before the move still find it.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="governance.pii_scan_execute", acks_late=True, reject_on_worker_lost=True, max_retries=0)
def pii_scan_execute(scan_id: int) -> str:
    """The service claims the scan with a conditional update; a redelivered message finds it claimed."""
    from curation.services import pii_scan_execute as execute

    return execute(scan_id=scan_id)
