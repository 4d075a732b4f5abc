from __future__ import annotations

import json
from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.csp import csp_replaced
from accounts.errors import ApplicationError, NotFound
from accounts.links import choice_labels
from accounts.page_errors import form_add_service_errors, page_errors
from notebooks import fair_queue, selectors, services
from notebooks.downloads import StorageUnreachable, StoredFileMissing, open_stored, storage_unreachable_response
from notebooks.forms import RunForm
from notebooks.hooks import detail_panels
from notebooks.metrics import compare_rows, run_metric_values
from notebooks.models import Run
from notebooks.result_cache import is_deterministic

# The policy of a rendered notebook: no script at all, a unique origin (sandbox), framed only by the portal.
# The sandbox lets a click on a link to the web open a new tab (popups that escape the sandbox): never
# scripts, forms, same-origin access or top-level navigation. The document carries the same policy as a
# <meta> element (notebooks.engine.rendering.DOCUMENT_POLICY) for a copy opened from disk.
OUTPUT_POLICY = "; ".join(
    [
        "sandbox allow-popups allow-popups-to-escape-sandbox",
        "default-src 'none'",
        "img-src data:",
        "style-src 'unsafe-inline'",
        "font-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


def catalogue(request: HttpRequest) -> HttpResponse:
    notebooks = list(selectors.notebook_list())
    return render(
        request,
        "notebooks/catalogue.html",
        {
            "courses": [notebook for notebook in notebooks if notebook.kind == "course"],
            "evaluations": [notebook for notebook in notebooks if notebook.kind == "evaluation"],
        },
    )


@page_errors
def notebook_detail(request: HttpRequest, slug: str) -> HttpResponse:
    notebook = selectors.notebook_get(slug)
    version = notebook.current_version
    assert version is not None
    form = RunForm(
        version.parameters, request.POST or None, default_queue=notebook.accelerator, offer_reuse=is_deterministic(version)
    )
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if form.is_valid():
            try:
                run = services.run_enqueue(
                    actor=actor_of(request),
                    notebook=notebook,
                    parameters=form.parameters(),
                    queue=form.cleaned_data["queue"],
                    reuse=not form.cleaned_data.get("fresh", False),
                )
            except ApplicationError as error:
                form_add_service_errors(form, error)
                status = error.status
            else:
                return redirect("notebooks:run", pk=run.pk)
        else:
            status = 400
    context = {
        "notebook": notebook,
        "version": version,
        "form": form,
        "panels": detail_panels(request, notebook),
        "budget": _weekly_budget(request, notebook),
    }
    return render(request, "notebooks/notebook_detail.html", context, status=status)


def _weekly_budget(request: HttpRequest, notebook: Any) -> dict[str, int] | None:
    """A student's runner time this week against the budget, and how busy the notebook's queue is."""
    if not request.user.is_authenticated or not services.is_student_only(actor_of(request)):
        return None
    total = services.weekly_budget_seconds()
    if not total:
        return None
    return {
        "used_minutes": fair_queue.runner_seconds_used(actor_of(request)) // 60,
        "total_minutes": total // 60,
        "runs_waiting": Run.objects.filter(queue=notebook.accelerator, status=Run.Status.QUEUED).count(),
    }


COMPARE_MAX_RUNS = 6


def _my_runs_page(
    request: HttpRequest, *, error: str = "", selected: frozenset[int] = frozenset(), status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.run_list_for_user(actor_of(request)), 25).get_page(request.GET.get("page"))
    context = {"page": page, "compare_error": error, "selected": selected, "compare_max": COMPARE_MAX_RUNS}
    return render(request, "notebooks/my_runs.html", context, status=status)


@login_required
def my_runs(request: HttpRequest) -> HttpResponse:
    return _my_runs_page(request)


@login_required
@csp_replaced({"frame-src": [*settings.EXTRA_FRAME_SRC, SELF]})  # the page frames the rendered notebook
@page_errors
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_for_user(actor_of(request), pk)
    wait = fair_queue.estimated_wait(run)
    labels = json.dumps(choice_labels(Run.Status.choices), ensure_ascii=False)
    phases = [] if run.reused_from_id else run.phases  # a reused result took no time of its own
    context = {
        "run": run,
        "queue_position": wait.position if wait else None,
        "starts_in": fair_queue.duration_text(wait.starts_in) if wait and wait.starts_in else "",
        "starts_next": wait is not None and wait.starts_in == 0,
        "status_labels": labels,
        "metrics": run_metric_values(run),
        "phases": phases,
        "phases_total": sum(seconds for _, _, seconds in phases),
        "slowest_cells": sorted(run.cell_seconds, key=lambda cell: -cell["seconds"])[:10],
        "cells_total_seconds": sum(cell["seconds"] for cell in run.cell_seconds),
    }
    return render(request, "notebooks/run_detail.html", context)


@login_required
@require_POST
@page_errors
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_for_user(actor_of(request), pk)
    try:
        services.run_cancel(actor=actor_of(request), run=run)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Cancellation requested."))
    return redirect("notebooks:run", pk=pk)


@login_required
@xframe_options_sameorigin
def run_output_html(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The rendered notebook, as hostile content: sandboxed, no scripts, only framed by the portal."""
    try:
        run = selectors.run_get_for_user(actor_of(request), pk)
    except NotFound:
        raise Http404 from None
    if not run.output_html:
        raise Http404
    try:
        stored = open_stored(run.output_html.name, run.output_html.storage)
    except StoredFileMissing:
        raise Http404 from None
    except StorageUnreachable:
        return storage_unreachable_response()
    response = FileResponse(stored, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = OUTPUT_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def run_output_notebook(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        run = selectors.run_get_for_user(actor_of(request), pk)
    except NotFound:
        raise Http404 from None
    if not run.output_notebook:
        raise Http404
    try:
        stored = open_stored(run.output_notebook.name, run.output_notebook.storage)
    except StoredFileMissing:
        raise Http404 from None
    except StorageUnreachable:
        return storage_unreachable_response()
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"{run.notebook.slug}-run-{run.pk}.ipynb",
        content_type="application/x-ipynb+json",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    return response


@login_required
@page_errors
def run_compare(request: HttpRequest) -> HttpResponse:
    """Two to six runs side by side (`?run=…&run=…`; `?a=…&b=…` from older links), oldest first: the first
    is the baseline the others are marked against. Too few or too many selected runs is a form error on the
    runs page; a run the user may not see is a 404."""
    raw = request.GET.getlist("run") or [value for value in (request.GET.get("a"), request.GET.get("b")) if value]
    try:
        pks = sorted({int(value) for value in raw})
    except ValueError:
        pks = []
    if not 2 <= len(pks) <= COMPARE_MAX_RUNS:
        message = (
            _("Choose at least two runs to compare.")
            if len(pks) < 2
            else _("Choose at most %(count)d runs to compare.") % {"count": COMPARE_MAX_RUNS}
        )
        return _my_runs_page(request, error=message, selected=frozenset(pks), status=400)
    runs = selectors.run_list_by_ids_for_user(actor_of(request), pks)
    return render(request, "notebooks/run_compare.html", {"runs": runs, "rows": compare_rows(runs)})


@login_required
def fleet(request: HttpRequest) -> HttpResponse:
    runners = [{"runner": runner, "online": selectors.runner_is_online(runner)} for runner in selectors.runner_list()]
    queued = {queue: Run.objects.filter(status=Run.Status.QUEUED, queue=queue).count() for queue in Run.Queue.values}
    return render(request, "notebooks/fleet.html", {"runners": runners, "queued": queued})
