"""Celery tasks of the LMS link: thin, taking ids, calling a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def grade_send(send_id: int) -> bool:
    """Sends a score. While the LMS refuses or is down, the task queues itself again with exponential
    backoff (LTI_GRADE_RETRY_BASE_SECONDS, doubling, at most an hour apart) up to LTI_GRADE_MAX_ATTEMPTS
    attempts; then the row stays `failed` (logged, shown on the course's LMS page and in the admin).
    A new message rather than Celery's retry: the row, not the message, holds the attempt count, so a
    redelivered or duplicated message cannot send twice (the row is claimed by a conditional UPDATE)."""
    from lti.models import GradeSend
    from lti.services.grades import GradeNotAccepted, grade_deliver

    try:
        return grade_deliver(send_id=send_id)
    except GradeNotAccepted:
        attempts = GradeSend.objects.filter(pk=send_id).values_list("attempts", flat=True).first() or 0
        if attempts >= settings.LTI_GRADE_MAX_ATTEMPTS:
            log.error("score %s given up after %s attempts", send_id, attempts)
            return False
        delay = min(settings.LTI_GRADE_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600)
        grade_send.apply_async(args=(send_id,), countdown=delay)
        return False


@shared_task
def roster_sync(context_id: int) -> int:
    """Reads the LMS course's members (Names and Role Provisioning Services) and enrols them."""
    from lti.models import ContextBinding
    from lti.services.roster import roster_sync as sync

    binding = ContextBinding.objects.select_related("platform", "course").filter(pk=context_id).first()
    return sync(actor=None, binding=binding) if binding else 0
