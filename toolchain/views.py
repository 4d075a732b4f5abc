"""Toolchain pages: the maintainers' home (benchmarks, regressions) and a benchmark's results over time.

Any signed-in member reads them; maintainers and administrators register and run benchmarks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.charts import metric_over_time
from accounts.errors import ApplicationError, NotAllowed
from accounts.page_errors import form_add_service_errors, page_errors
from notebooks.selectors import notebook_get
from toolchain import selectors, services
from toolchain.forms import BenchmarkForm


def _render_home(request: HttpRequest, form: BenchmarkForm, status: int = 200) -> HttpResponse:
    context = {
        "benchmarks": selectors.benchmark_list(),
        "regressions": selectors.regression_list()[:50],
        "form": form,
        "is_maintainer": selectors.user_is_maintainer(request.user),
    }
    return render(request, "governance/toolchain/home.html", context, status=status)


@login_required
@page_errors
def toolchain_home(request: HttpRequest) -> HttpResponse:
    return _render_home(request, BenchmarkForm())


@login_required
@require_POST
@page_errors
def benchmark_create(request: HttpRequest) -> HttpResponse:
    if not selectors.user_is_maintainer(request.user):
        raise NotAllowed(_("Only toolchain maintainers register benchmarks."))
    form = BenchmarkForm(request.POST)
    if not form.is_valid():
        return _render_home(request, form, status=400)
    values = dict(form.cleaned_data)
    try:
        values["notebook"] = notebook_get(values["notebook"])
        benchmark = services.benchmark_create(actor=actor_of(request), **values)
    except ApplicationError as error:
        form_add_service_errors(form, error, unknown_field="parameters")
        return _render_home(request, form, status=error.status)
    messages.success(request, _("Benchmark registered."))
    return redirect("governance:benchmark", slug=benchmark.slug)


def _render_benchmark(request: HttpRequest, slug: str, *, error: str = "", status: int = 200) -> HttpResponse:
    benchmark = selectors.benchmark_get(slug)
    results = list(selectors.benchmark_results(benchmark)[:200])
    context = {
        "benchmark": benchmark,
        "results": results,
        "chart": metric_over_time(results),
        "runs": selectors.benchmark_runs(benchmark)[:20],
        "is_maintainer": selectors.user_is_maintainer(request.user),
        "error": error,
    }
    return render(request, "governance/toolchain/benchmark.html", context, status=status)


@login_required
@page_errors
def benchmark_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_benchmark(request, slug)


@login_required
@require_POST
@page_errors
def benchmark_run(request: HttpRequest, slug: str) -> HttpResponse:
    if not selectors.user_is_maintainer(request.user):
        raise NotAllowed(_("Only toolchain maintainers run benchmarks."))
    benchmark = selectors.benchmark_get(slug)
    try:
        link = services.benchmark_run_start(actor=actor_of(request), benchmark=benchmark)
    except ApplicationError as error:
        return _render_benchmark(request, slug, error=error.message, status=error.status)
    messages.success(request, _("Benchmark run %(run)s queued.") % {"run": link.run_id})
    return redirect("governance:benchmark", slug=slug)
