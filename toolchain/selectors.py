"""Toolchain reads: benchmarks, their results, regressions. Any signed-in member may read them; maintainers
(and administrators) also see every benchmark run in the run engine, whoever started it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.errors import NotFound
from accounts.models import Role
from accounts.selectors import user_has_role
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun


def user_is_maintainer(user: Any) -> bool:
    return user_has_role(user, Role.TOOLCHAIN_MAINTAINER, Role.ADMINISTRATOR)


def benchmark_run_visibility(user: Any) -> Q:
    """For `notebooks.contract.run_visibility`: maintainers see the runs benchmarks started."""
    return Q(benchmark_link__isnull=False) if user_is_maintainer(user) else Q(pk__in=[])


def benchmark_list() -> QuerySet[Benchmark]:
    # Counted rows lose Meta.ordering; lists page, so they state theirs.
    return (
        Benchmark.objects.select_related("notebook", "created_by")
        .order_by("slug")
        .annotate(
            result_count=Count("results", distinct=True),
            regression_count=Count("results", filter=Q(results__is_regression=True), distinct=True),
        )
    )


def benchmark_get(slug: str) -> Benchmark:
    benchmark = Benchmark.objects.select_related("notebook", "notebook__current_version", "created_by").filter(slug=slug).first()
    if benchmark is None:
        raise NotFound("No such benchmark.")
    return benchmark


def benchmark_results(benchmark: Benchmark) -> QuerySet[BenchmarkResult]:
    return BenchmarkResult.objects.filter(benchmark=benchmark).select_related("run")


def benchmark_runs(benchmark: Benchmark) -> QuerySet[BenchmarkRun]:
    return BenchmarkRun.objects.filter(benchmark=benchmark).select_related("run", "run__notebook", "started_by")


def regression_list() -> QuerySet[BenchmarkResult]:
    return BenchmarkResult.objects.filter(is_regression=True).select_related("benchmark", "run")
