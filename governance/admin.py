"""Governance admin: registry, audits, health and sponsorship; rows that change only through services are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.admin_base import ReadOnlyAdmin
from accounts.audit import audit_log_record
from governance.models import (
    Allocation,
    Audit,
    AuditComment,
    AuditEvidence,
    Certification,
    CertificationReminder,
    CommunityModel,
    ConflictOfInterest,
    Evaluation,
    EvaluationRun,
    Finding,
    ModelVersion,
    Quarter,
)
from governance.services import sponsorship as sponsorship_services


@admin.register(CommunityModel)
class CommunityModelAdmin(ReadOnlyAdmin):
    list_display = ["slug", "name", "current_version", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["model", "number", "version", "licence", "onnx_sha256", "eval_samples", "created_at"]
    search_fields = ["model__slug", "version"]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(ReadOnlyAdmin):
    list_display = ["model", "user", "reason", "created_at"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "model", "kind", "status", "author", "decided_by", "updated_at"]
    list_filter = ["status", "kind"]


for _model in (Finding, AuditEvidence, AuditComment, EvaluationRun, CertificationReminder):
    admin.site.register(_model, ReadOnlyAdmin)


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "version", "dimension", "value", "unit", "provenance", "status", "estimated", "measured_at"]
    list_filter = ["dimension", "provenance", "status"]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "valid_from", "expires_at", "end_reason"]
    list_filter = ["status"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "model_slug", "amount_minor_units"]


@admin.register(Quarter)
class QuarterAdmin(admin.ModelAdmin):
    """Open quarters are edited through the sponsorship service (pool, weight, cap); a frozen one never changes.

    Saving a frozen quarter is answered with 409 and logged, like every other write path.
    """

    list_display = ["label", "status", "stale", "pool_minor_units", "currency", "eligible_count", "manifest_sha256"]
    fields = [
        "label",
        "status",
        "stale",
        "pool_minor_units",
        "currency",
        "usd_exchange_rate",
        "weight_percent",
        "cap_percent",
        "eligible_count",
        "allocated_minor_units",
        "unallocated_minor_units",
        "share",
        "frozen_at",
        "manifest_sha256",
    ]
    readonly_fields = [
        "label",
        "status",
        "stale",
        "currency",
        "eligible_count",
        "allocated_minor_units",
        "unallocated_minor_units",
        "share",
        "frozen_at",
        "manifest_sha256",
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("manifest")  # not shown; a sealed one lists every model

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        quarter = Quarter.objects.filter(pk=object_id).first() if object_id else None
        if request.method == "POST" and quarter is not None and quarter.frozen:
            audit_log_record(
                actor=request.user,  # type: ignore[arg-type]
                action="quarter.admin_change.refused",
                obj=quarter,
                after={"reason": "the quarter is frozen"},
            )
            response = TemplateResponse(
                request, "409.html", {"message": f"Quarter {quarter.label} is frozen: it can no longer change."}, status=409
            )
            return response
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Quarter, form: Any, change: bool) -> None:
        sponsorship_services.quarter_update(
            actor=request.user,  # type: ignore[arg-type]
            label=obj.label,
            pool_minor_units=obj.pool_minor_units,
            weight_percent=obj.weight_percent,
            cap_percent=obj.cap_percent,
            usd_exchange_rate=obj.usd_exchange_rate,
        )
        messages.info(request, "Compute the quarter again to apply the change: until then its computation is marked stale.")
