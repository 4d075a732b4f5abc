"""Governance admin. Each topic keeps its own section; rows that change only through services are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_base import AuditedModelAdmin, ReadOnlyAdmin
from governance.models import (
    Annotation,
    Benchmark,
    BenchmarkResult,
    BenchmarkRun,
    Dataset,
    DatasetItem,
    PiiFlag,
    PiiScan,
    PiiTerm,
    Ruling,
)

# --- Curation (datasets, arbitration, de-identification review) ----------------------------------------


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


# --- Toolchain (benchmarks and results) -----------------------------------------------------------------


@admin.register(Benchmark)
class BenchmarkAdmin(ReadOnlyAdmin):
    list_display = ["slug", "notebook", "metric_key", "higher_is_better", "regression_threshold_percent"]
    list_select_related = ["notebook"]


@admin.register(BenchmarkRun)
class BenchmarkRunAdmin(ReadOnlyAdmin):
    list_display = ["benchmark", "run", "started_by", "created_at"]
    list_select_related = ["benchmark", "run", "started_by"]


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(ReadOnlyAdmin):
    list_display = ["benchmark", "runner_class", "value", "baseline_median", "change_percent", "is_regression", "recorded_at"]
    list_filter = ["is_regression"]
    list_select_related = ["benchmark"]
