"""Celery tasks of the LMS link: thin, taking ids, calling a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def grade_send(self, send_id: int) -> bool:
    """Sends a score; while the LMS refuses or is down it is retried with exponential backoff (base
    LTI_GRADE_RETRY_BASE_SECONDS, doubling, capped at an hour) up to LTI_GRADE_MAX_ATTEMPTS times. Then it
    stays `failed` in the table (visible on the LMS page of the course and in the admin) for a later retry."""
    from lti.models import GradeSend
    from lti.services.grades import grade_deliver

    try:
        return grade_deliver(send_id=send_id)
    except Exception as error:
        attempts = GradeSend.objects.filter(pk=send_id).values_list("attempts", flat=True).first() or 0
        if attempts >= settings.LTI_GRADE_MAX_ATTEMPTS:
            log.error("score %s given up after %s attempts", send_id, attempts)
            return False
        delay = min(settings.LTI_GRADE_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600)
        raise self.retry(exc=error, countdown=delay) from error


@shared_task
def roster_sync(context_id: int) -> int:
    """Reads the LMS course's members (Names and Role Provisioning Services) and enrols them."""
    from lti.models import ContextBinding
    from lti.services.roster import roster_sync as sync

    binding = ContextBinding.objects.select_related("platform", "course").filter(pk=context_id).first()
    return sync(actor=None, binding=binding) if binding else 0
