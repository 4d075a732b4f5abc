"""Toolchain models: benchmarks (catalogue notebooks with fixed parameters), their runs and results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Benchmark", "BenchmarkResult", "BenchmarkRun"]


class Benchmark(models.Model):
    """A catalogue notebook run with fixed parameters; one metric of its output is tracked over time."""

    audit_object_type = "governance.benchmark"  # its history in the audit log began under governance

    class Queue(models.TextChoices):
        CPU = "cpu", _("CPU")
        GPU = "gpu", _("GPU")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    notebook = models.ForeignKey("notebooks.Notebook", on_delete=models.PROTECT, related_name="benchmarks")
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=8, choices=Queue.choices, default=Queue.CPU)
    metric_key = models.CharField(_("metric"), max_length=100)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    regression_threshold_percent = models.FloatField(_("regression threshold (%)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "governance_benchmark"  # the table kept its name when the model left governance
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(regression_threshold_percent__gt=0) & Q(regression_threshold_percent__lte=1000),
                name="benchmark_threshold_in_range",
            )
        ]
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")

    def __str__(self) -> str:
        return self.slug


class BenchmarkRun(models.Model):
    """Links a notebook run to the benchmark that started it, so its end can be recorded as a result."""

    audit_object_type = "governance.benchmarkrun"  # its history in the audit log began under governance

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="runs")
    run = models.OneToOneField("notebooks.Run", on_delete=models.PROTECT, related_name="benchmark_link")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "governance_benchmarkrun"  # the table kept its name when the model left governance
        ordering = ["-created_at", "-id"]
        verbose_name = _("benchmark run")
        verbose_name_plural = _("benchmark runs")

    def __str__(self) -> str:
        return f"{self.benchmark_id} · run {self.run_id}"


class BenchmarkResult(models.Model):
    """One measured outcome: where it ran, on what, with which toolchain, and whether it regressed."""

    audit_object_type = "governance.benchmarkresult"  # its history in the audit log began under governance

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="results")
    run = models.OneToOneField("notebooks.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="benchmark_result")
    runner_host = models.CharField(_("runner"), max_length=200, blank=True)
    runner_class = models.CharField(
        _("runner class"), max_length=200, db_index=True, help_text=_("Queue and hardware: results compare within a class.")
    )
    cpus = models.PositiveIntegerField(_("CPUs"), default=0)
    memory_mb = models.PositiveIntegerField(_("memory (MB)"), default=0)
    gpu_name = models.CharField(_("GPU"), max_length=200, blank=True)
    toolchain = models.JSONField(_("toolchain versions"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    value = models.FloatField(_("metric value"))
    baseline_median = models.FloatField(_("median of the previous results"), null=True, blank=True)
    change_percent = models.FloatField(_("change against the median (%)"), null=True, blank=True)
    is_regression = models.BooleanField(_("regression"), default=False, db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)

    class Meta:
        db_table = "governance_benchmarkresult"  # the table kept its name when the model left governance
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["benchmark", "runner_class", "recorded_at"], name="bench_result_class_time_idx")]
        verbose_name = _("benchmark result")
        verbose_name_plural = _("benchmark results")

    def __str__(self) -> str:
        return f"{self.benchmark_id} {self.value} @ {self.runner_class}"
