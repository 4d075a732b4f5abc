"""What waits for a person, one section per role they hold (the page people land on after signing in).

Each section is a few bounded queries (lists are cut at LIMIT and say how many there are in all), so the
page's query count does not grow with the rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Role

LIMIT = 10


def student_section(user: Any) -> dict[str, Any]:
    """The assignments of the courses the student is enrolled in, soonest due first, with their last run."""
    from courses.models import Assignment, Enrolment, Submission

    assignments = (
        Assignment.objects.filter(course__enrolments__user=user, course__enrolments__role=Enrolment.Role.STUDENT)
        .select_related("course", "notebook")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
        .distinct()
    )
    shown = list(assignments[:LIMIT])
    last_runs: dict[int, Any] = {}
    for submission in (
        Submission.objects.filter(student=user, assignment__in=[a.pk for a in shown])
        .select_related("run")
        .order_by("-created_at", "-id")
    ):
        last_runs.setdefault(submission.assignment_id, submission.run)
    now = timezone.now()
    rows = [{"assignment": a, "last_run": last_runs.get(a.pk), "overdue": bool(a.due_at and a.due_at < now)} for a in shown]
    return {"assignments": rows, "total": assignments.count()}


def instructor_section(user: Any) -> dict[str, Any]:
    """The instructor's courses, their failing runs and their late students."""
    from courses.models import Course, Enrolment, Submission
    from notebooks.models import Run

    courses = (
        Course.objects.filter(enrolments__user=user, enrolments__role=Enrolment.Role.INSTRUCTOR)
        .annotate(
            students=Count("enrolments", filter=Q(enrolments__role=Enrolment.Role.STUDENT), distinct=True),
            assignment_count=Count("assignments", distinct=True),
        )
        .order_by("-pk")
    )
    course_ids = list(courses.values_list("pk", flat=True))
    failing = Submission.objects.filter(
        assignment__course_id__in=course_ids, run__status__in=[Run.Status.FAILED, Run.Status.TIMED_OUT]
    )
    late = Submission.objects.filter(assignment__course_id__in=course_ids, late=True)
    return {
        "courses": list(courses[:LIMIT]),
        "course_total": len(course_ids),
        "failing": list(failing.select_related("student", "run", "assignment").order_by("-created_at")[:LIMIT]),
        "failing_total": failing.count(),
        "late": list(late.select_related("student", "assignment").order_by("-created_at")[:LIMIT]),
        "late_students": late.values("student_id").distinct().count(),
    }


def curator_section(user: Any) -> dict[str, Any]:
    """Datasets with items waiting for a ruling or PII flags still open."""
    from curation.models import PiiFlag
    from curation.selectors import dataset_list_for_user

    datasets = (
        dataset_list_for_user(user)
        .filter(Q(undecided_count__gt=0) | Q(open_flag_count__gt=0))
        .order_by("-undecided_count", "slug")
    )
    open_flags = PiiFlag.objects.filter(status=PiiFlag.Status.OPEN).count()
    return {"datasets": list(datasets[:LIMIT]), "open_flags": open_flags}


def steward_section(user: Any) -> dict[str, Any]:
    """The open quarter, community values waiting for review, certifications expiring within 30 days."""
    from governance.models import Evaluation, Quarter
    from governance.selectors.health import certified_now

    soon = timezone.now() + timedelta(days=30)
    expiring = certified_now().filter(expires_at__lt=soon)
    return {
        "open_quarters": list(Quarter.objects.filter(status=Quarter.Status.OPEN).defer("manifest").order_by("-label")[:3]),
        "pending_values": Evaluation.objects.filter(status=Evaluation.Status.PENDING).count(),
        "expiring": list(expiring.select_related("model").order_by("expires_at")[:LIMIT]),
        "expiring_total": expiring.count(),
    }


def sections(user: Any, roles: frozenset[str] | set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if Role.STUDENT in roles:
        found["student"] = student_section(user)
    if Role.INSTRUCTOR in roles:
        found["instructor"] = instructor_section(user)
    if Role.CURATOR in roles:
        found["curator"] = curator_section(user)
    if roles & {Role.STEWARD, Role.ADMINISTRATOR}:
        found["steward"] = steward_section(user)
    return found
