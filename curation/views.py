"""Curation pages: the curators' home, datasets (public once released), arbitration, PII review, the deny-list.

A refused action re-renders its page with the reason and the error's status (409 for a refused release),
so a person sees why, and a script driving the page sees the same status as the API gives.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotFound, TooLarge
from accounts.page_errors import form_add_service_errors, page_errors, refusal_page
from accounts.user_markdown import render_user_markdown
from curation import pii, selectors, services
from curation.forms import BlockForm, DatasetForm, ImportForm, RulingForm, TermForm
from curation.models import Dataset, PiiFlag


@login_required
@page_errors
def curation_home(request: HttpRequest) -> HttpResponse:
    selectors.require_curator(request.user)
    return _render_home(request, DatasetForm())


def _render_home(request: HttpRequest, form: DatasetForm, status: int = 200) -> HttpResponse:
    user = actor_of(request)
    datasets = list(selectors.dataset_list_for_user(user)[:300])
    context = {
        "form": form,
        "mine": [dataset for dataset in datasets if dataset.owner_id == user.pk],
        "drafts": [dataset for dataset in datasets if dataset.state == Dataset.State.DRAFT],
        "released": [dataset for dataset in datasets if dataset.state != Dataset.State.DRAFT],
    }
    return render(request, "governance/curation/home.html", context, status=status)


@login_required
@require_POST
@page_errors
def dataset_create(request: HttpRequest) -> HttpResponse:
    selectors.require_curator(request.user)
    form = DatasetForm(request.POST)
    if not form.is_valid():
        return _render_home(request, form, status=400)
    try:
        dataset = services.dataset_create(actor=actor_of(request), **form.cleaned_data)
    except ApplicationError as error:
        form_add_service_errors(form, error)
        return _render_home(request, form, status=error.status)
    messages.success(request, _("Dataset created. Import its items next."))
    return redirect("governance:dataset", slug=dataset.slug)


def _version_of(request: HttpRequest) -> int | None:
    raw = request.GET.get("version")
    return int(raw) if raw and raw.isdigit() else None


def _render_dataset(
    request: HttpRequest, dataset: Dataset, *, error: str = "", status: int = 200, forms: dict[str, Any] | None = None
) -> HttpResponse:
    is_curator = selectors.user_is_curator(request.user)
    latest = selectors.dataset_get_for_user(request.user, dataset.slug)
    context = {
        "dataset": dataset,
        "is_latest": latest.pk == dataset.pk,
        "description_html": render_user_markdown(dataset.description),
        "versions": list(selectors.dataset_versions_for_user(request.user, dataset)),
        "agreement": selectors.dataset_agreement(dataset),
        "items": list(selectors.dataset_items(dataset)[:50]),
        "item_total": selectors.dataset_items(dataset).count(),
        "is_curator": is_curator,
        "error": error,
        "import_form": ImportForm(),
        "block_form": BlockForm(),
        **(forms or {}),
    }
    if is_curator:
        context["queue_count"] = selectors.arbitration_queue(dataset).count()
        context["blocking_flags"] = (
            selectors.pii_flag_list(dataset).filter(status__in=[PiiFlag.Status.OPEN, PiiFlag.Status.TRUE_POSITIVE]).count()
        )
    return render(request, "governance/curation/dataset.html", context, status=status)


@page_errors
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = selectors.dataset_get_for_user(request.user, slug, _version_of(request))
    return _render_dataset(request, dataset)


@page_errors
def _dataset_action(request: HttpRequest, slug: str, action: Any, success: str) -> HttpResponse:
    """Runs `action(actor, dataset)` for a curator; a refusal re-renders the dataset page with its reason."""
    selectors.require_curator(request.user)
    dataset = selectors.dataset_get_for_user(request.user, slug)
    try:
        result = action(actor_of(request), dataset)
    except ApplicationError as error:
        details = " ".join(problem for problems in error.fields.values() for problem in problems)
        return _render_dataset(request, dataset, error=f"{error.message} {details}".strip(), status=error.status)
    messages.success(request, success)
    return redirect("governance:dataset", slug=(result.slug if isinstance(result, Dataset) else dataset.slug))


@login_required
@require_POST
def dataset_import(request: HttpRequest, slug: str) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)

    def action(actor: Any, dataset: Dataset) -> Any:
        if not form.is_valid():
            raise ApplicationError(_("Choose a file to import."), fields={"file": [_("This field is required.")]})
        upload = form.cleaned_data["file"]
        if upload.size > settings.CURATION_UPLOAD_MAX_BYTES:
            raise TooLarge(_("The file is too large."))
        return services.dataset_import(
            actor=actor, dataset=dataset, raw=upload.read(), filename=upload.name or "", fmt=form.cleaned_data["format"]
        )

    return _dataset_action(request, slug, action, _("Items and annotations imported."))


@login_required
@require_POST
def dataset_release(request: HttpRequest, slug: str) -> HttpResponse:
    return _dataset_action(
        request, slug, lambda actor, dataset: services.dataset_release(actor=actor, dataset=dataset), _("Dataset released.")
    )


@login_required
@require_POST
def dataset_block(request: HttpRequest, slug: str) -> HttpResponse:
    return _dataset_action(
        request,
        slug,
        lambda actor, dataset: services.dataset_block(actor=actor, dataset=dataset, reason=request.POST.get("reason", "")),
        _("Release blocked."),
    )


@login_required
@require_POST
def dataset_version_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _dataset_action(
        request,
        slug,
        lambda actor, dataset: services.dataset_version_create(actor=actor, dataset=dataset),
        _("New version created as a draft."),
    )


def _render_arbitration(request: HttpRequest, dataset: Dataset, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "dataset": dataset,
        "queue": list(selectors.arbitration_queue(dataset)[:100]),
        "labels": selectors.dataset_labels(dataset),
        "rulings": list(selectors.ruling_list(dataset)[:50]),
        "agreement": selectors.dataset_agreement(dataset),
        "form": RulingForm(),
        "error": error,
    }
    return render(request, "governance/curation/arbitration.html", context, status=status)


@login_required
@page_errors
def arbitration(request: HttpRequest, slug: str) -> HttpResponse:
    selectors.require_curator(request.user)
    dataset = selectors.dataset_get_for_user(request.user, slug)
    return _render_arbitration(request, dataset)


@login_required
@require_POST
@page_errors
def ruling_create(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    selectors.require_curator(request.user)
    try:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        item = selectors.item_get(dataset, item_id)
    except NotFound as error:
        return refusal_page(request, error)
    try:
        services.ruling_create(
            actor=actor_of(request), item=item, label=request.POST.get("label", ""), reason=request.POST.get("reason", "")
        )
    except ApplicationError as error:
        return _render_arbitration(request, dataset, error=error.message, status=error.status)
    messages.success(request, _("Ruling recorded for item %(key)s.") % {"key": item.key})
    return redirect("governance:arbitration", slug=slug)


@login_required
@require_POST
@page_errors
def dataset_label_add(request: HttpRequest, slug: str) -> HttpResponse:
    selectors.require_curator(request.user)
    dataset = selectors.dataset_get_for_user(request.user, slug)
    try:
        services.dataset_label_add(actor=actor_of(request), dataset=dataset, label=request.POST.get("label", ""))
    except ApplicationError as error:
        return _render_arbitration(request, dataset, error=error.message, status=error.status)
    messages.success(request, _("Label %(label)s added to the label set.") % {"label": request.POST.get("label", "").strip()})
    return redirect("governance:arbitration", slug=slug)


def _render_pii(request: HttpRequest, dataset: Dataset, *, error: str = "", status: int = 200) -> HttpResponse:
    flags = list(selectors.pii_flag_list(dataset)[:500])
    rows = [{"flag": flag, **selectors.pii_flag_context(flag)} for flag in flags]
    scans = list(selectors.pii_scan_list(dataset)[:10])
    context = {
        "dataset": dataset,
        "rows": rows,
        "scans": scans,
        "scan": scans[0] if scans else None,
        "name_detection": pii.NAME_DETECTION_AVAILABLE,
        "unscanned": selectors.dataset_items(dataset).filter(scanned_at__isnull=True).count(),
        "error": error,
    }
    return render(request, "governance/curation/pii.html", context, status=status)


@login_required
@page_errors
def pii_review(request: HttpRequest, slug: str) -> HttpResponse:
    selectors.require_curator(request.user)
    dataset = selectors.dataset_get_for_user(request.user, slug)
    return _render_pii(request, dataset)


@login_required
@require_POST
@page_errors
def pii_scan_start(request: HttpRequest, slug: str) -> HttpResponse:
    selectors.require_curator(request.user)
    dataset = selectors.dataset_get_for_user(request.user, slug)
    try:
        services.pii_scan_start(actor=actor_of(request), dataset=dataset)
    except ApplicationError as error:
        return _render_pii(request, dataset, error=error.message, status=error.status)
    messages.success(request, _("PII scan started."))
    return redirect("governance:pii", slug=slug)


@login_required
@require_POST
@page_errors
def pii_flag_update(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One form per flag: `verdict` (true_positive / false_positive) or `action` (redact / remove)."""
    selectors.require_curator(request.user)
    try:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        flag = selectors.pii_flag_get(dataset, pk)
    except NotFound as error:
        return refusal_page(request, error)
    try:
        if "action" in request.POST:
            services.pii_flag_resolve(actor=actor_of(request), flag=flag, action=request.POST["action"])
        else:
            services.pii_flag_review(actor=actor_of(request), flag=flag, verdict=request.POST.get("verdict", ""))
    except ApplicationError as error:
        return _render_pii(request, dataset, error=error.message, status=error.status)
    return redirect(reverse("governance:pii", args=[slug]) + f"#flag-{pk}")


@page_errors
def _render_terms(request: HttpRequest, form: TermForm, status: int = 200) -> HttpResponse:
    return render(
        request, "governance/curation/deny_list.html", {"form": form, "terms": selectors.pii_term_list()}, status=status
    )


@login_required
@page_errors
def deny_list(request: HttpRequest) -> HttpResponse:
    selectors.require_curator(request.user)
    form = TermForm(request.POST or None)
    if request.method != "POST":
        return _render_terms(request, form)
    if not form.is_valid():
        return _render_terms(request, form, status=400)
    try:
        services.pii_term_add(actor=actor_of(request), term=form.cleaned_data["term"])
    except ApplicationError as error:
        form_add_service_errors(form, error)
        return _render_terms(request, form, status=error.status)
    messages.success(request, _("Term added to the deny-list."))
    return redirect("governance:deny_list")


@login_required
@require_POST
@page_errors
def deny_list_remove(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.require_curator(request.user)
    try:
        services.pii_term_remove(actor=actor_of(request), term=selectors.pii_term_get(pk))
    except NotFound as error:
        return refusal_page(request, error)
    messages.success(request, _("Term removed from the deny-list."))
    return redirect("governance:deny_list")
