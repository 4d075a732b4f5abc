"""Toolchain pages: the maintainers' home (benchmarks, regressions) and a benchmark's results over time.

Any signed-in member reads them; maintainers and administrators register and run benchmarks.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date, floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.charts import metric_over_time
from accounts.errors import ApplicationError, NotAllowed
from accounts.links import url_for_slugs
from accounts.page_errors import form_add_service_errors, page_errors
from notebooks.selectors import notebook_get
from toolchain import selectors, services
from toolchain.forms import BenchmarkForm, benchmark_notebooks


def _render_home(request: HttpRequest, form: BenchmarkForm | None = None, status: int = 200) -> HttpResponse:
    """The home page; `form`: the registration form sent back with its errors (a blank one otherwise)."""
    is_maintainer = selectors.user_is_maintainer(request.user)
    if form is not None:
        form_html = form.as_div()
    elif is_maintainer:
        notebooks = benchmark_notebooks()
        form_html = _blank_form(get_language(), notebooks, settings.BENCHMARK_REGRESSION_THRESHOLD_PERCENT)
    else:
        form_html = SafeString()  # only maintainers see the form
    context = {
        "benchmarks": _benchmark_rows(),
        "regressions": _regression_rows(),
        "form": form_html,
        "is_maintainer": is_maintainer,
    }
    return render(request, "governance/toolchain/home.html", context, status=status)


@lru_cache(maxsize=16)
def _blank_form(language: str, notebooks: tuple[str, ...], threshold: float) -> SafeString:
    """The blank registration form as HTML. Drawing its eight fields through Django's form templates took a third of
    the page's time, and it is the same for every maintainer reading `language` while the catalogue's notebooks and
    the default threshold (its placeholder) stay the same: those are the key, so a new notebook shows at once."""
    return BenchmarkForm(notebooks=notebooks).as_div()


def _benchmark_rows() -> SafeString:
    """Every benchmark as a row of the home page's table, drawn here from the columns shown."""
    link = url_for_slugs("governance:benchmark")
    benchmarks = selectors.benchmark_list().values_list(
        *("pk", "slug", "title", "notebook__slug", "metric_key", "higher_is_better"),
        *("regression_threshold_percent", "result_count", "regression_count"),
    )
    return format_html_join(
        "",
        '\n    <tr><td><a href="{}">{}</a></td><td>{}</td>\n      <td><code>{}</code> {}</td>\n'
        '      <td class="num">{} %</td><td class="num">{}</td>\n      <td class="num">{}</td></tr>\n  ',
        (
            (
                *(link(slug), title, notebook, metric, "↑" if higher_is_better else "↓", floatformat(threshold, "-1")),
                result_count,
                format_html('<span class="badge bad">{}</span>', regression_count) if regression_count else "0",
            )
            for _pk, slug, title, notebook, metric, higher_is_better, threshold, result_count, regression_count in benchmarks
        ),
    )


def _regression_rows() -> SafeString:
    """The latest 50 regressions as rows of the home page's table, drawn here from the columns shown."""
    link = url_for_slugs("governance:benchmark")
    regressions = selectors.regression_list().values_list(
        "benchmark__slug", "runner_class", "value", "baseline_median", "change_percent", "recorded_at"
    )[:50]
    return format_html_join(
        "",
        '\n    <tr class="regression"><td><a href="{}">{}</a></td><td>{}</td>\n'
        '      <td class="num">{}</td><td class="num">{}</td>\n      <td class="num">{} %</td><td>{}</td></tr>\n  ',
        (
            (
                *(link(slug), slug, runner_class, floatformat(value, "-4"), floatformat(median, "-4")),
                *(floatformat(change, 1), date(localtime(recorded_at), "Y-m-d H:i")),
            )
            for slug, runner_class, value, median, change, recorded_at in regressions
        ),
    )


@login_required
@page_errors
def toolchain_home(request: HttpRequest) -> HttpResponse:
    return _render_home(request)


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
