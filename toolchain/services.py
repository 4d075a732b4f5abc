"""Toolchain writes: registering benchmarks, starting their runs, recording results and flagging regressions.

Toolchain maintainers and administrators register and run benchmarks. Results are recorded by the run
engine's finished-run hook (`benchmark_run_finished`, registered in `GovernanceConfig.ready()`).
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.audit import audit_log_record
from accounts.errors import ApplicationError, NotAllowed
from accounts.models import Role, User
from accounts.notifications import holders_of, notify
from notebooks.models import Notebook, Run
from notebooks.parameters import validate_parameters
from notebooks.services import run_enqueue, run_queue_for
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun
from toolchain.selectors import user_is_maintainer

log = logging.getLogger(__name__)


def _require_maintainer(actor: User) -> None:
    if not user_is_maintainer(actor):
        raise NotAllowed("Only toolchain maintainers and administrators do this.", code="not_maintainer")


@dataclass(frozen=True)
class Verdict:
    baseline_median: float | None
    change_percent: float | None
    is_regression: bool


def regression_check(
    value: float, previous: list[float], *, higher_is_better: bool, threshold_percent: float, min_results: int
) -> Verdict:
    """Compares `value` with the median of `previous` (the earlier results on the same runner class, newest
    first, at most five). A regression is a change in the worse direction of more than `threshold_percent`.
    Fewer than `min_results` earlier results, or a median of zero, give no verdict."""
    if len(previous) < min_results:
        return Verdict(None, None, False)
    median = float(statistics.median(previous))
    if median == 0:
        return Verdict(median, None, False)
    change = (value - median) / abs(median) * 100.0
    worse = -change if higher_is_better else change
    return Verdict(median, change, worse > threshold_percent)


def runner_class_of(queue: str, cpus: int, gpu_name: str) -> str:
    """Results compare within a class: the GPU model on GPU runners, the core count on CPU runners."""
    if gpu_name:
        return f"gpu · {gpu_name}"
    return f"{queue} · {cpus} cores"


@transaction.atomic
def benchmark_create(
    *,
    actor: User,
    slug: str,
    title: str,
    notebook: Notebook,
    parameters: Any,
    metric_key: str,
    higher_is_better: bool = True,
    queue: str = "",
    regression_threshold_percent: float | None = None,
) -> Benchmark:
    """Registers a benchmark; its parameters are validated like any run's, against the notebook's current version."""
    _require_maintainer(actor)
    slug = (slug or "").strip()
    if not slug:
        raise ApplicationError("Give the benchmark a slug.", fields={"slug": ["This field is required."]})
    if Benchmark.objects.filter(slug=slug).exists():
        raise ApplicationError("A benchmark with this slug exists.", fields={"slug": ["Already taken."]})
    if not notebook.is_active or notebook.current_version is None:
        raise ApplicationError("That notebook is not in the catalogue.", fields={"notebook": ["Not in the catalogue."]})
    values = validate_parameters(notebook.current_version.parameters, parameters or {})
    queue = run_queue_for(notebook, queue)
    metric_key = (metric_key or "").strip()
    if not metric_key or len(metric_key) > 100:
        raise ApplicationError("Name the metric to track.", fields={"metric_key": ["1 to 100 characters."]})
    threshold = (
        settings.BENCHMARK_REGRESSION_THRESHOLD_PERCENT if regression_threshold_percent is None else regression_threshold_percent
    )
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and 0 < threshold <= 1000):
        raise ApplicationError(
            "The regression threshold is out of range.",
            fields={"regression_threshold_percent": ["Between 0 (exclusive) and 1000."]},
        )
    benchmark = Benchmark.objects.create(
        slug=slug,
        title=(title or slug).strip()[:200],
        notebook=notebook,
        parameters=values,
        queue=queue,
        metric_key=metric_key,
        higher_is_better=higher_is_better,
        regression_threshold_percent=float(threshold),
        created_by=actor,
    )
    audit_log_record(
        actor=actor,
        action="benchmark.create",
        obj=benchmark,
        after={"notebook": notebook.slug, "parameters": values, "metric": metric_key, "threshold_percent": threshold},
    )
    return benchmark


@transaction.atomic
def benchmark_run_start(*, actor: User, benchmark: Benchmark) -> BenchmarkRun:
    """Queues a run of the benchmark's notebook with its fixed parameters (sent to the runners after commit)."""
    _require_maintainer(actor)
    run = run_enqueue(actor=actor, notebook=benchmark.notebook, parameters=benchmark.parameters, queue=benchmark.queue)
    link = BenchmarkRun.objects.create(benchmark=benchmark, run=run, started_by=actor)
    audit_log_record(actor=actor, action="benchmark.run", obj=benchmark, after={"run": run.pk})
    return link


@transaction.atomic
def benchmark_result_record(
    *,
    benchmark: Benchmark,
    value: float,
    metrics: dict[str, Any],
    runner_host: str,
    queue: str,
    cpus: int,
    memory_mb: int,
    gpu_name: str,
    toolchain: dict[str, Any],
    recorded_at: datetime | None = None,
    run: Run | None = None,
) -> BenchmarkResult:
    """Stores one result and compares it with the previous results on the same runner class."""
    recorded_at = recorded_at or timezone.now()
    runner_class = runner_class_of(queue, cpus, gpu_name)
    previous = list(
        BenchmarkResult.objects.filter(benchmark=benchmark, runner_class=runner_class, recorded_at__lt=recorded_at)
        .order_by("-recorded_at", "-id")
        .values_list("value", flat=True)[: settings.BENCHMARK_BASELINE_RESULTS]
    )
    verdict = regression_check(
        value,
        previous,
        higher_is_better=benchmark.higher_is_better,
        threshold_percent=benchmark.regression_threshold_percent,
        min_results=settings.BENCHMARK_BASELINE_MIN_RESULTS,
    )
    result = BenchmarkResult.objects.create(
        benchmark=benchmark,
        run=run,
        runner_host=runner_host,
        runner_class=runner_class,
        cpus=cpus,
        memory_mb=memory_mb,
        gpu_name=gpu_name,
        toolchain=toolchain,
        metrics=metrics,
        value=value,
        baseline_median=verdict.baseline_median,
        change_percent=verdict.change_percent,
        is_regression=verdict.is_regression,
        recorded_at=recorded_at,
    )
    audit_log_record(
        actor=None,
        action="benchmark.regression" if verdict.is_regression else "benchmark.result",
        obj=result,
        after={
            "benchmark": benchmark.slug,
            "value": value,
            "median": verdict.baseline_median,
            "change_percent": verdict.change_percent,
        },
    )
    if verdict.is_regression:
        notify(
            recipients=holders_of(Role.TOOLCHAIN_MAINTAINER),
            kind="benchmark.regression",
            message=gettext_noop("Regression on %(benchmark)s (%(runner)s): %(change)s %% against the median"),
            params={"benchmark": benchmark.slug, "runner": runner_class, "change": f"{verdict.change_percent:+.1f}"},
            url=reverse("governance:benchmark", args=[benchmark.slug]),
        )
    return result


def benchmark_run_finished(run_id: int) -> None:
    """The run engine's hook: a finished benchmark run becomes a result (once; later calls do nothing)."""
    link = BenchmarkRun.objects.filter(run_id=run_id).select_related("benchmark", "run", "run__runner").first()
    if link is None:
        return
    run = link.run
    if run.status != Run.Status.SUCCEEDED or BenchmarkResult.objects.filter(run=run).exists():
        return
    value = run.metrics.get(link.benchmark.metric_key) if isinstance(run.metrics, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        log.warning("benchmark run %s reported no numeric %r", run_id, link.benchmark.metric_key)
        audit_log_record(actor=None, action="benchmark.result_missing", obj=link.benchmark, after={"run": run_id})
        return
    runner = run.runner
    benchmark_result_record(
        benchmark=link.benchmark,
        value=float(value),
        metrics=run.metrics,
        runner_host=run.runner_host,
        queue=run.queue,
        cpus=runner.cpus if runner else 0,
        memory_mb=runner.memory_mb if runner else 0,
        gpu_name=run.gpu_name or (runner.gpu_name if runner else ""),
        toolchain=dict(runner.toolchain) if runner else {},
        recorded_at=run.finished_at or timezone.now(),
        run=run,
    )
