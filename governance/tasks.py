"""Celery tasks of governance: thin, taking ids and calling a service (which makes them safe to run twice)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="governance.quarter_compute", acks_late=True, max_retries=0)
def quarter_compute(label: str) -> str:
    """Recomputes an open quarter (e.g. on a schedule); a frozen one is refused (409, logged) by the service."""
    from accounts.errors import WrongState
    from governance.services.sponsorship import quarter_compute as compute

    try:
        quarter = compute(actor=None, label=label)
    except WrongState as refusal:
        return f"refused: {refusal.message}"
    return f"{quarter.label}: {quarter.eligible_count} eligible"


@shared_task(name="governance.certification_reminders", acks_late=True, max_retries=0)
def certification_reminders() -> str:
    """Daily: owners hear of certifications expiring within 30 and 7 days, and of expired ones, once each."""
    from governance.services.owner_notices import certification_reminders_send

    return f"{certification_reminders_send()} reminders sent"
