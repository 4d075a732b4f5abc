"""Scores to the LMS (Assignment and Grade Services) after each succeeded run of a bound assignment.

The score is the assignment's grade metric (the one the grade book shows: the instructor's choice, else
the first numeric metric the run reports) mapped to 0–1:
  * a value in [0, 1] is sent as it is (accuracy, F1, a fraction of tests passed);
  * a value in (1, 100] is read as a percentage and divided by 100;
  * anything else (negative, above 100, not a number, no metric) sends nothing: the LMS would show a
    grade the portal cannot vouch for. The run still counts in the portal's own grade book.
The LMS gets scoreGiven/scoreMaximum = score/1, activity Completed, grading FullyGraded; its grade column
keeps the latest, as the portal's grade book counts the latest succeeded run.

A `GradeSend` row is written in the run-finished hook and sent by a Celery task after commit; a failed
send stays in the table and is retried with exponential backoff (`lti.tasks.grade_send`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import requests
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from pylti1p3.exception import LtiException, LtiServiceException

from accounts.audit import audit_log_record
from courses.models import Submission
from courses.selectors import grade_metric_of, metric_names
from lti import claims
from lti.models import GradeSend, LtiIdentity, ResourceLink
from notebooks.models import Run

log = logging.getLogger(__name__)


class GradeNotAccepted(Exception):
    """The LMS did not take the score (refused, unreachable); the attempt is recorded on the row."""


def score_of(value: Any) -> float | None:
    """The documented mapping of a metric value to the LMS's 0–1 score (None: nothing is sent)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    if 0 <= value <= 1:
        return float(value)
    if 1 < value <= 100:
        return float(value) / 100
    return None


def _metric(submission: Submission) -> str:
    if submission.assignment.grade_metric:
        return submission.assignment.grade_metric
    from courses.selectors import GradeRow

    row = GradeRow(student=submission.student)
    row.add(submission.late, submission.run_id, submission.run.status, submission.run.metrics)
    return grade_metric_of(submission.assignment, [row]) if metric_names([row]) else ""


def run_finished(run_id: int) -> None:
    """The run-finished hook: queues one score per LMS activity bound to the run's assignment (a second
    call for the same run adds nothing)."""
    submission = (
        Submission.objects.select_related("assignment", "run", "student")
        .filter(run_id=run_id, run__status=Run.Status.SUCCEEDED)
        .first()
    )
    if submission is None:
        return
    links = (
        ResourceLink.objects.select_related("context__platform")
        .filter(assignment_id=submission.assignment_id)
        .exclude(lineitem_url="")
    )
    for link in links:
        identity = LtiIdentity.objects.filter(platform=link.context.platform, user_id=submission.student_id).first()
        metric = _metric(submission)
        score = score_of(submission.run.metrics.get(metric)) if metric else None
        if identity is None or score is None or claims.AGS_SCORE_SCOPE not in link.context.ags_scopes:
            continue
        try:
            with transaction.atomic():
                send = GradeSend.objects.create(link=link, identity=identity, run=submission.run, metric=metric, score=score)
                audit_log_record(actor=None, action="lti.grade_queue", obj=send, after={"score": score, "metric": metric})
        except IntegrityError:
            continue
        transaction.on_commit(partial(_queue, send.pk))


def _queue(send_id: int) -> None:
    from lti.tasks import grade_send

    grade_send.delay(send_id)


def grade_deliver(*, send_id: int) -> bool:
    """Sends one queued score to the LMS's line item. True when the LMS accepted it (or it was already
    sent); raises on failure after recording the attempt, for the task to retry."""
    from pylti1p3.grade import Grade
    from pylti1p3.service_connector import ServiceConnector

    from lti.tool_conf import registration_of

    claimed = GradeSend.objects.filter(pk=send_id, status__in=[GradeSend.Status.PENDING, GradeSend.Status.FAILED]).update(
        status=GradeSend.Status.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return GradeSend.objects.filter(pk=send_id, status=GradeSend.Status.SENT).exists()
    send = GradeSend.objects.select_related("link__context__platform", "identity").get(pk=send_id)
    grade = (
        Grade()
        .set_score_given(send.score)
        .set_score_maximum(1)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(send.identity.sub)
        .set_timestamp(timezone.now().isoformat())
    )
    connector = ServiceConnector(registration_of(send.link.context.platform))
    url = send.link.lineitem_url.split("?", 1)
    scores_url = url[0].rstrip("/") + "/scores" + (f"?{url[1]}" if len(url) > 1 else "")
    try:
        connector.make_service_request(
            [claims.AGS_SCORE_SCOPE],
            scores_url,
            is_post=True,
            data=grade.get_value(),
            content_type="application/vnd.ims.lis.v1.score+json",
        )
    except (LtiException, LtiServiceException, requests.RequestException) as error:
        message = _describe(error)
        GradeSend.objects.filter(pk=send_id).update(
            status=GradeSend.Status.FAILED, last_error=message[:2000], updated_at=timezone.now()
        )
        log.warning("score %s for run %s not accepted by the LMS (attempt %s): %s", send_id, send.run_id, send.attempts, message)
        raise GradeNotAccepted(message) from error
    GradeSend.objects.filter(pk=send_id).update(
        status=GradeSend.Status.SENT, sent_at=timezone.now(), last_error="", updated_at=timezone.now()
    )
    audit_log_record(actor=None, action="lti.grade_sent", obj=send, after={"score": send.score, "attempts": send.attempts})
    return True


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None and hasattr(response, "status_code"):
        return f"HTTP {response.status_code}: {response.text[:500]}"
    return f"{type(error).__name__}: {error}"
