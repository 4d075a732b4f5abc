"""Health reads: what is certified now, each model's current values, histories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.methodology import DIMENSIONS
from governance.models import Audit, Certification, CommunityModel, Evaluation, Finding, ModelVersion


def certified_now(at: datetime | None = None) -> QuerySet[Certification]:
    """Active certifications of current versions that have not expired (expiry is `expires_at` ≤ now)."""
    return Certification.objects.filter(
        status=Certification.Status.ACTIVE, expires_at__gt=at or timezone.now(), version_id=F("model__current_version_id")
    )


def _latest(dimension: str, field: str) -> Subquery:
    return Subquery(
        Evaluation.objects.filter(
            version_id=OuterRef("current_version_id"), dimension=dimension, status=Evaluation.Status.COUNTED
        )
        .order_by("-measured_at", "-id")
        .values(field)[:1]
    )


def model_health_list() -> QuerySet[CommunityModel]:
    """Every model with its current version's latest counted value per dimension and its certification, in one query."""
    now = timezone.now()
    annotations: dict[str, Any] = {}
    for dimension in DIMENSIONS:
        annotations[f"{dimension}_value"] = _latest(dimension, "value")
        annotations[f"{dimension}_id"] = _latest(dimension, "id")
    annotations["energy_estimated"] = _latest("energy", "estimated")
    active = Certification.objects.filter(
        model_id=OuterRef("pk"), status=Certification.Status.ACTIVE, version_id=OuterRef("current_version_id")
    )
    annotations["certified_until"] = Subquery(active.filter(expires_at__gt=now).values("expires_at")[:1])
    annotations["suspended"] = Exists(
        Audit.objects.filter(
            version_id=OuterRef("current_version_id"),
            kind=Audit.Kind.SECURITY,
            status=Audit.Status.ACCEPTED,
            findings__severity=Finding.Severity.CRITICAL,
        )
    )
    return CommunityModel.objects.select_related("current_version").annotate(**annotations).order_by("slug")


def model_health_page(models: Iterable[Any]) -> list[CommunityModel]:
    """`model_health_list` for just these models (a page), in slug order: the per-row subqueries run for them only."""
    ids = [model.pk for model in models]
    return list(model_health_list().filter(pk__in=ids))


def model_health_get(slug: str) -> CommunityModel | None:
    return model_health_list().filter(slug=slug).first()


def version_evaluations(version: ModelVersion) -> QuerySet[Evaluation]:
    return version.evaluations.select_related("run", "submitted_by", "reviewed_by").order_by("-measured_at", "-id")


def model_certifications(model: CommunityModel) -> QuerySet[Certification]:
    return model.certifications.select_related(
        "version", "robustness", "explainability", "energy", "suspended_by_audit"
    ).order_by("-valid_from", "-id")


def pending_community_evaluations() -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(status=Evaluation.Status.PENDING)
        .select_related("version__model", "submitted_by")
        .order_by("measured_at")
    )
