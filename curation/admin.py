"""Curation admin: rows that change only through services are read-only; the deny-list is edited here too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_base import AuditedModelAdmin, ReadOnlyAdmin
from curation.models import Annotation, Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm, Ruling


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["slug", "version", "state", "owner", "licence", "released_at"]
    list_filter = ["state"]
    search_fields = ["slug"]


@admin.register(DatasetItem)
class DatasetItemAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "key", "final_label", "final_label_source", "removed", "scanned_at"]
    list_select_related = ["dataset"]
    search_fields = ["key"]


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    list_display = ["item", "annotator", "label"]
    list_select_related = ["item"]


@admin.register(Ruling)
class RulingAdmin(ReadOnlyAdmin):
    list_display = ["item", "label", "curator", "created_at"]
    list_select_related = ["item", "curator"]


@admin.register(PiiScan)
class PiiScanAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "status", "items_done", "items_total", "flags_found", "created_at"]
    list_select_related = ["dataset"]


@admin.register(PiiFlag)
class PiiFlagAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "item", "kind", "start", "end", "status", "resolution"]
    list_filter = ["kind", "status"]
    list_select_related = ["dataset", "item"]


@admin.register(PiiTerm)
class PiiTermAdmin(AuditedModelAdmin):
    list_display = ["term", "added_by", "created_at"]
    list_select_related = ["added_by"]
    readonly_fields = ["added_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
