"""Toolchain admin: benchmarks, their runs and results change only through services, so all are read-only."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun


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
