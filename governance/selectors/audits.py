"""Audit reads. A draft is seen by its author only; a submitted or decided audit by auditors, stewards, the
model's owners and administrators. Anyone else gets a 404, never a 403 that confirms the audit exists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.errors import NotFound
from accounts.models import Role
from accounts.selectors import user_has_role
from governance.models import Audit, CommunityModel, Finding


def _visible(user: Any) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user_has_role(user, Role.ADMINISTRATOR):
        return Q()
    if user_has_role(user, Role.AUDITOR, Role.STEWARD):
        # Every submitted or decided audit, those of the models they own among them: no ownership subquery to build,
        # compile and plan for each list.
        return Q(author_id=user.pk) | ~Q(status=Audit.Status.DRAFT)
    owned = CommunityModel.owners.through.objects.filter(communitymodel_id=OuterRef("model_id"), user_id=user.pk)
    return Q(author_id=user.pk) | (Q(Exists(owned)) & ~Q(status=Audit.Status.DRAFT))


def _finding_count(**conditions: str) -> Coalesce:
    """Counted per listed audit in a subquery rather than by a join with GROUP BY over five tables' columns."""
    findings = Finding.objects.filter(audit_id=OuterRef("pk"), **conditions).order_by().values("audit_id")
    return Coalesce(Subquery(findings.annotate(count=Count("pk")).values("count")), 0)


# What a list of audits shows (the pages' tables and the API's list): not the summary, and of the model, version and
# people only the names. Their other columns (a version's metadata, a user's password hash) cost the loading.
LISTED = (
    *("kind", "title", "status", "submitted_at", "submissions", "decided_at", "decision_note", "created_at", "updated_at"),
    *("model__slug", "version__version", "author__username", "author__display_name", "decided_by__username"),
)


def audit_list_for_user(
    user: Any, *, status: str = "", kind: str = "", model: str = "", mine: bool = False, counted: bool = True
) -> QuerySet[Audit]:
    """The audits `user` may see (their own; beyond drafts, every one for auditors and stewards and those of the
    models they own; all for administrators), filtered, with finding counts unless not `counted` (then
    `audit_finding_counts` gives them); newest change first."""
    audits = (
        Audit.objects.filter(_visible(user))
        .select_related("model", "version", "author", "decided_by")
        .only(*LISTED)
        .order_by("-updated_at", "-id")
    )
    if counted:
        audits = audits.annotate(finding_count=_finding_count(), critical_count=_finding_count(severity="critical"))
    if status:
        audits = audits.filter(status=status)
    if kind:
        audits = audits.filter(kind=kind)
    if model:
        audits = audits.filter(model__slug=model)
    if mine:
        audits = audits.filter(author_id=user.pk)
    return audits


def audit_finding_counts(audit_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Findings and critical findings per audit, by id, for lists loaded with `counted=False`; an audit without
    findings is absent. One grouped query for a page's lists, where each list's two count subqueries cost more to
    build and compile than to run."""
    counts = (
        Finding.objects.filter(audit_id__in=set(audit_ids))
        .order_by()
        .values("audit_id")
        .annotate(count=Count("pk"), critical=Count("pk", filter=Q(severity=Finding.Severity.CRITICAL)))
        .values_list("audit_id", "count", "critical")
    )
    return {audit_id: (count, critical) for audit_id, count, critical in counts}


def audit_get_for_user(user: Any, pk: int) -> Audit:
    """The audit with what its page shows, if `user` may see it; otherwise NotFound (a draft of someone else
    is not found, never forbidden)."""
    audit = (
        Audit.objects.filter(_visible(user), pk=pk)
        .select_related("model", "version", "author", "decided_by")
        .prefetch_related("findings", "evidence__run", "comments__author", "model__owners")
        .first()
    )
    if audit is None:
        raise NotFound("No such audit.")
    return audit


def audit_review_queue(user: Any, *, counted: bool = True) -> QuerySet[Audit]:
    """Submitted audits this auditor may decide (not their own, not of models they own or declared a conflict for)."""
    from governance.models import ConflictOfInterest

    # NOT IN the user's few model ids, not NOT EXISTS: two anti-joins brought the query to eight tables, and
    # PostgreSQL spent ~8 ms searching join orders for a handful of rows (the ids are never null).
    conflicts = ConflictOfInterest.objects.filter(user_id=user.pk).values("model_id")
    owned = CommunityModel.owners.through.objects.filter(user_id=user.pk).values("communitymodel_id")
    return (
        audit_list_for_user(user, status=Audit.Status.SUBMITTED, counted=counted)
        .exclude(author_id=user.pk)
        .exclude(model_id__in=conflicts)
        .exclude(model_id__in=owned)
        .order_by("submitted_at")
    )
