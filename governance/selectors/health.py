"""Health reads: what is certified now, each model's current values, histories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.errors import NotFound
from governance.methodology import DIMENSIONS, THRESHOLDS, VERSION
from governance.models import (
    Audit,
    Certification,
    CommunityModel,
    Evaluation,
    EvaluationRun,
    Finding,
    ModelVersion,
    Reevaluation,
)
from notebooks.models import Run


def evaluation_run_visibility(user: Any) -> Q:
    """For `notebooks.contract.run_visibility`: auditors and stewards see every evaluation run, whoever started it
    (an owner's evaluations of their own model are open to the people who check them)."""
    from accounts.models import Role
    from accounts.selectors import user_has_role

    if user_has_role(user, Role.AUDITOR, Role.STEWARD):
        return Q(pk__in=EvaluationRun.objects.values("run_id"))
    return Q(pk__in=[])


def certified_now(at: datetime | None = None) -> QuerySet[Certification]:
    """Active certifications of current versions that have not expired (expiry is `expires_at` ≤ now)."""
    return Certification.objects.filter(
        status=Certification.Status.ACTIVE, expires_at__gt=at or timezone.now(), version_id=F("model__current_version_id")
    )


EXPIRING_DAYS = 30


def certified_fingerprint(now: datetime) -> tuple[Any, ...]:
    """A cheap reading that changes whenever what is certified at `now` could have, to key caches of it by: which
    models are certified, which of them expire within EXPIRING_DAYS, and how many of each.

    One scan of the active certifications (10,000 narrow rows: 1–3 ms of the database here, where reading every
    certified model's slug with its model was 13 ms) reads
    - their count, and the sum and the largest of their ids. A certification is created active and, once it ends
      (superseded, ended, suspended), is never active again, so a grant or an end changes the count or the largest
      id, and grants and ends committed in another order than their ids were drawn still change the count or the
      sum. A new version ends its model's certification (`certification_end_for_model`) and so does an accepted
      critical security finding (`certification_suspend`), in the same transaction; a suspended version is not
      certified again (`certification_refresh`);
    - the next moment one of them expires, and the next moment one comes within EXPIRING_DAYS of its expiry: each
      is still ahead of `now`, so the reading changes as soon as either passes.
    No service changes a certification's model, version or expiry once granted (and once a frozen quarter seals
    it, the database refuses to: governance/db_guards.py), nor a model's slug."""
    reading = Certification.objects.filter(status=Certification.Status.ACTIVE).aggregate(
        count=Count("pk"),
        ids=Sum("pk"),
        newest=Max("pk"),
        next_expiry=Min("expires_at", filter=Q(expires_at__gt=now)),
        next_expiring=Min("expires_at", filter=Q(expires_at__gte=now + timedelta(days=EXPIRING_DAYS))),
    )
    return tuple(reading.values())


def latest_counted(dimension: str) -> QuerySet[Evaluation]:
    """The outer model's current version's counted values of `dimension`, newest first (slice one field of it)."""
    return Evaluation.objects.filter(
        version_id=OuterRef("current_version_id"), dimension=dimension, status=Evaluation.Status.COUNTED
    ).order_by("-measured_at", "-id")


def certified_of_current_version(now: datetime) -> QuerySet[Certification]:
    """The outer model's certification in force at `now` (at most one: one active certification per version)."""
    return Certification.objects.filter(
        model_id=OuterRef("pk"),
        status=Certification.Status.ACTIVE,
        version_id=OuterRef("current_version_id"),
        expires_at__gt=now,
    )


def suspending_audits(version: Any) -> QuerySet[Audit]:
    """The accepted security audits with a critical finding of `version` (a version or an OuterRef to one): each
    suspends its certification. The earliest decided first: the one a suspension names."""
    return Audit.objects.filter(
        version=version, kind=Audit.Kind.SECURITY, status=Audit.Status.ACCEPTED, findings__severity=Finding.Severity.CRITICAL
    ).order_by("decided_at", "pk")


def model_health_list(*, evaluation_ids: bool = True) -> QuerySet[CommunityModel]:
    """Every model with its current version's latest counted value per dimension and its certification, in one query.

    Without `evaluation_ids`, the values' ids (`<dimension>_id`) are left out: three subqueries fewer to build, plan
    and run, for lists that show the values only."""
    now = timezone.now()
    annotations: dict[str, Any] = {}
    latest: dict[str, QuerySet[Evaluation]] = {d: latest_counted(d) for d in DIMENSIONS}  # built once: filters cost Python
    for dimension in DIMENSIONS:
        annotations[f"{dimension}_value"] = Subquery(latest[dimension].values("value")[:1])
        if evaluation_ids:
            annotations[f"{dimension}_id"] = Subquery(latest[dimension].values("id")[:1])
    annotations["energy_estimated"] = Subquery(latest["energy"].values("estimated")[:1])
    annotations["certified_until"] = Subquery(certified_of_current_version(now).values("expires_at")[:1])
    annotations["suspended"] = Exists(suspending_audits(OuterRef("current_version_id")))
    return CommunityModel.objects.select_related("current_version").annotate(**annotations).order_by("slug")


def model_health_page(models: Iterable[Any]) -> list[CommunityModel]:
    """`model_health_list` for just these models (a page), in slug order: the per-row subqueries run for them only."""
    ids = [model.pk for model in models]
    return list(model_health_list().filter(pk__in=ids))


def model_health_get(slug: str) -> CommunityModel | None:
    return model_health_list().filter(slug=slug).first()


def version_evaluations(version: ModelVersion) -> QuerySet[Evaluation]:
    """Newest first, with who submitted and reviewed each. Its run is a link by id (`run_id`): joining the wide run
    row (JSON columns) was most of the query's cost and is read by no page or serializer."""
    return version.evaluations.select_related("submitted_by", "reviewed_by").order_by("-measured_at", "-id")


def version_evaluation_runs(version: ModelVersion) -> QuerySet[EvaluationRun]:
    """The version's evaluation runs (newest first), with their run's status and who started each: only the columns
    the health page shows, not the wide run row."""
    return (
        EvaluationRun.objects.filter(version=version)
        .select_related("run", "requested_by")
        .only("id", "dimension", "run_id", "outcome", "run__status", "requested_by__username")
    )


def model_certifications(model: CommunityModel) -> QuerySet[Certification]:
    """Newest first; the values a certification rests on are read by id (`evaluation_ids`), not joined."""
    return model.certifications.order_by("-valid_from", "-id")


def pending_community_evaluations() -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(status=Evaluation.Status.PENDING)
        .select_related("version__model", "submitted_by")
        .order_by("measured_at")
    )


def model_health_summary(slug: str) -> dict[str, Any]:
    """A model's health as the health page, model page and health API show it; `_model` is the annotated row."""
    model: Any = model_health_get(slug)  # annotated with the latest values
    if model is None:
        raise NotFound("No such model.")
    dimensions = []
    for dimension in DIMENSIONS:
        value = getattr(model, f"{dimension}_value")
        threshold = THRESHOLDS[dimension]
        dimensions.append(
            {
                "dimension": dimension,
                "threshold": threshold.text,
                "unit": threshold.unit,
                "value": value,
                "passes": None if value is None else threshold.passes(value),
                "estimated": bool(dimension == "energy" and model.energy_estimated),
                "evaluation": getattr(model, f"{dimension}_id"),
            }
        )
    certifications = [
        {
            "status": c.status,
            "status_label": c.get_status_display(),
            "certified": c.status == c.Status.ACTIVE
            and model.certified_until is not None
            and c.version_id == model.current_version_id,
            "valid_from": c.valid_from,
            "expires_at": c.expires_at,
            "ended_at": c.ended_at,
            "end_reason": c.end_reason,
            "methodology_version": c.methodology_version,
            "evaluation_ids": c.evaluation_ids,
        }
        for c in model_certifications(model)[:50]
    ]
    return {
        "model": model.slug,
        "version": model.current_version.version if model.current_version else None,
        "methodology_version": VERSION,
        "methodology_url": reverse("methodology", args=[VERSION]),
        "certified": model.certified_until is not None and not model.suspended,
        "certified_until": model.certified_until,
        "suspended": bool(model.suspended),
        "dimensions": dimensions,
        "certifications": certifications,
        "_model": model,
    }


def reevaluation_list() -> QuerySet[Reevaluation]:
    return Reevaluation.objects.select_related("requested_by").order_by("-created_at", "-id")


def reevaluation_progress(reevaluation: Reevaluation) -> dict[str, Any]:
    """How far a re-evaluation is: its runs by state, and per model the outcome of each dimension's run.

    A run is *done* once it has ended (succeeded, failed, cancelled, timed out); a done run is *counted* when its
    value became a verified evaluation, otherwise its outcome says why not (a typed reason for failures).
    """
    runs = list(
        reevaluation.runs.select_related("run", "version__model", "evaluation").order_by("version__model__slug", "dimension")
    )
    ended = {Run.Status.SUCCEEDED, Run.Status.FAILED, Run.Status.CANCELLED, Run.Status.TIMED_OUT}
    by_status: dict[str, int] = {}
    models: dict[str, dict[str, Any]] = {}
    for item in runs:
        by_status[item.run.status] = by_status.get(item.run.status, 0) + 1
        row = models.setdefault(
            item.version.model.slug, {"model": item.version.model.slug, "version": item.version.version, "dimensions": {}}
        )
        row["dimensions"][item.dimension] = {
            "run": item.run_id,
            "status": item.run.status,
            "outcome": item.outcome,
            "value": item.evaluation.value if item.evaluation else None,
        }
    done = sum(count for status, count in by_status.items() if status in ended)
    total = len(runs)
    return {
        "id": reevaluation.pk,
        "methodology_version": reevaluation.methodology_version,
        "created_at": reevaluation.created_at,
        "models": reevaluation.models_started,
        "skipped": [line for line in reevaluation.skipped.splitlines() if line],
        "runs_total": total,
        "runs_done": done,
        "runs_counted": sum(1 for item in runs if item.evaluation_id),
        "runs_by_status": by_status,
        "progress_percent": round(100 * done / total) if total else 100,
        "finished": done == total,
        "rows": list(models.values()),
    }
