"""Health pages: the public list, a model's health page with history, the SVG badge, community values."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # what `|date` applies; not in the stubs
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound
from accounts.models import Role
from accounts.page_errors import page_errors
from accounts.selectors import user_has_role
from governance.methodology import CERTIFICATION_DAYS, DIMENSIONS, THRESHOLDS, VERSION, VERSIONS
from governance.models import CommunityModel, Dimension, Evaluation, Reevaluation
from governance.selectors import health as selectors
from governance.selectors import health_explanation
from governance.selectors import registry as registry_selectors
from governance.services import health as services
from notebooks.downloads import StorageUnreachable, StoredFileMissing, open_stored, storage_unreachable_response
from notebooks.models import Run


def health_rows(models: Any) -> list[dict[str, Any]]:
    """One row per annotated model: value, pass and estimate per dimension, the certification state, and those
    drawn as the row's table cells (`cells_html`)."""
    now = timezone.now()
    words = _CellWords()
    rows = []
    for model in models:
        cells = []
        for dimension in DIMENSIONS:
            value = getattr(model, f"{dimension}_value")
            cells.append(
                {
                    "dimension": dimension,
                    "value": value,
                    "passes": None if value is None else THRESHOLDS[dimension].passes(value),
                    "estimated": dimension == Dimension.ENERGY and bool(model.energy_estimated),
                }
            )
        if model.suspended:
            state = "suspended"
        elif model.certified_until is not None:
            state = "expiring" if (model.certified_until - now).days < 30 else "certified"
        else:
            state = "not_certified"
        row = {"model": model, "cells": cells, "state": state, "certified_until": model.certified_until}
        row["cells_html"] = _health_cells_html(row, words)
        rows.append(row)
    return rows


_STATE_BADGES = {
    "certified": ('<span class="badge ok">', gettext_lazy("certified"), "</span>"),
    "expiring": ('<span class="badge warn">', gettext_lazy("expires soon"), "</span>"),
    "suspended": ('<span class="badge bad">', gettext_lazy("suspended"), "</span>"),
}


class _CellWords:
    """What every row's cells say in the page's language, looked up once for all of them: the translations and
    the decimal separator that `floatformat` would look up again for each of the 750 values of a page."""

    def __init__(self) -> None:
        self.estimated = escape(_("estimated"))
        self.not_certified = escape(_("not certified"))
        self.until = escape(_("until"))
        self.badges = {state: f"{opening}{escape(label)}{closing}" for state, (opening, label, closing) in _STATE_BADGES.items()}
        # With grouping on, `floatformat` also groups thousands: then it draws every value itself.
        separator = str(get_format("DECIMAL_SEPARATOR", get_language()))
        self.separator = None if settings.USE_THOUSAND_SEPARATOR or escape(separator) != separator else separator
        self.openings = {dimension: f'<td class="num" data-dimension="{escape(dimension)}">' for dimension in DIMENSIONS}


def _decimal_text(value: Any, places: int, separator: str | None) -> str:
    """`floatformat(value, -places)`, escaped: an integral value without decimals, any other rounded half up to
    exactly `places` decimals; written here for the Decimals the database returns, `floatformat` for the rest."""
    if separator is None or not isinstance(value, Decimal) or not value.is_finite() or len(value.as_tuple().digits) > 40:
        return escape(floatformat(value, -places))
    if value == value.to_integral_value():
        return str(int(value))
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, Context(prec=60))
    whole, _point, decimals = f"{abs(rounded):f}".partition(".")
    return f"{'-' if rounded < 0 else ''}{whole}{separator}{decimals}"


def _health_cells_html(row: dict[str, Any], words: _CellWords) -> SafeString:
    """A row's value cells and state cell, as the health list and the steward dashboard show them.

    Drawn here rather than by a template included once per row: the include, its loop and its filters were a
    third of the dashboard's time for 50 rows, and then `floatformat` and `date` most of what remained. The
    markup, numbers (`floatformat`'s), dates (`date:"Y-m-d"` of the local time) and translations are the ones the
    template had, so the pages read byte for byte as before (tests/governance/test_health.py compares them)."""
    parts = []
    for cell in row["cells"]:
        parts.append(words.openings.get(cell["dimension"]) or f'<td class="num" data-dimension="{escape(cell["dimension"])}">')
        if cell["value"] is None:
            parts.append('<span class="muted">—</span>')
        else:
            places = 6 if cell["dimension"] == "energy" else 3
            parts.append(f'<span class="badge {"ok" if cell["passes"] else "bad"}">')
            parts.append(f"{_decimal_text(cell['value'], places, words.separator)}</span>")  # digits, sign, separator
            if cell["estimated"]:
                parts.append(f' <small class="muted">{words.estimated}</small>')
        parts.append("</td>")
    state, until = row["state"], row["certified_until"]
    parts.append(f'\n<td data-state="{escape(state)}">')
    parts.append(words.badges.get(state) or f'<span class="muted">{words.not_certified}</span>')
    if until and state != "suspended":
        local = template_localtime(until)
        parts.append(f'<br><small class="muted">{words.until} {local.year:04d}-{local.month:02d}-{local.day:02d}</small>')
    parts.append("</td>\n")
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped, a number or a fixed translation


def health_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(CommunityModel.objects.order_by("slug").only("pk"), 50).get_page(request.GET.get("page"))
    is_steward = user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR)
    context = {
        "page": page,
        "rows": health_rows(selectors.model_health_page(page.object_list)),
        "thresholds": [THRESHOLDS[d] for d in DIMENSIONS],
        "methodology_version": VERSION,
        "methodology_versions": VERSIONS,
        "certification_days": CERTIFICATION_DAYS,
        "is_steward": is_steward,
        "reevaluations": selectors.reevaluation_list()[:5] if is_steward else [],
    }
    return render(request, "governance/health/list.html", context)


@page_errors
def health_detail(request: HttpRequest, slug: str) -> HttpResponse:
    health = selectors.model_health_summary(slug)
    model = health["_model"]
    version = model.current_version
    explanations = health_explanation.dimension_explanations(version)
    context = {
        "model": model,
        "health": health,
        "explanations": explanations,
        "sentence": health_explanation.certification_sentence(health, explanations),
        "thresholds": THRESHOLDS,
        "evaluations": selectors.version_evaluations(version)[:100] if version else [],
        "evaluation_runs": selectors.version_evaluation_runs(version)[:12] if version else [],
        "certifications": health["certifications"],
        "is_steward": user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR),
        "is_owner": request.user.is_authenticated and model.owners.filter(pk=request.user.pk).exists(),
        "is_auditor": user_has_role(request.user, Role.AUDITOR),
        "dimensions": DIMENSIONS,
        "methodology_version": VERSION,
    }
    return render(request, "governance/health/detail.html", context)


@login_required
@require_POST
@page_errors
def evaluations_start(request: HttpRequest, slug: str) -> HttpResponse:
    model = registry_selectors.model_get(slug)
    if model.current_version is None:
        raise ApplicationError(_("This model has no version."))
    started = services.evaluations_start(actor=actor_of(request), version=model.current_version)
    messages.success(request, _("%(count)s evaluation runs queued.") % {"count": len(started)})
    if request.POST.get("back") == "my_models":
        return redirect(f"{reverse('governance:my_models')}#model-{slug}")
    return redirect("governance:model_health", slug=slug)


@login_required
@require_POST
@page_errors
def reevaluation_start(request: HttpRequest) -> HttpResponse:
    """A steward's one action: every certified model is evaluated again under the current methodology."""
    batch = services.reevaluation_start(actor=actor_of(request), methodology=VERSION)
    messages.success(
        request,
        ngettext(
            "Re-evaluation under methodology %(version)s queued for %(count)s certified model.",
            "Re-evaluation under methodology %(version)s queued for %(count)s certified models.",
            batch.models_started,
        )
        % {"version": batch.methodology_version, "count": batch.models_started},
    )
    return redirect("governance:reevaluation", pk=batch.pk)


@login_required
@page_errors
def reevaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
        raise NotAllowed(_("Re-evaluations are for stewards."))
    batch = Reevaluation.objects.filter(pk=pk).first()
    if batch is None:
        raise NotFound(_("No such re-evaluation."))
    progress = selectors.reevaluation_progress(batch)
    for row in progress["rows"]:
        row["cells"] = [row["dimensions"].get(dimension) for dimension in DIMENSIONS]
        for cell in row["cells"]:
            if cell:
                cell["status_label"] = Run.Status(cell["status"]).label
    context = {"batch": batch, "progress": progress, "dimensions": DIMENSIONS}
    return render(request, "governance/health/reevaluation.html", context)


@login_required
@require_POST
@page_errors
def evaluation_submit(request: HttpRequest, slug: str) -> HttpResponse:
    services.evaluation_submit(
        actor=actor_of(request),
        model=registry_selectors.model_get(slug),
        dimension=request.POST.get("dimension", ""),
        value=request.POST.get("value", ""),
        evidence_note=request.POST.get("evidence_note", ""),
        evidence_file=request.FILES.get("evidence_file"),
        backend=request.POST.get("backend", ""),
        region=request.POST.get("region", ""),
        carbon_intensity_g_per_kwh=request.POST.get("carbon_intensity_g_per_kwh") or None,
    )
    messages.success(request, _("Value submitted: it counts once a second auditor accepts it."))
    return redirect("governance:model_health", slug=slug)


@page_errors
def evaluation_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Public: the output notebook or evidence file behind a counted value, so anyone can hash what was sealed.

    Served as a download (never rendered: the bytes come from a run or an upload), under a sandboxing CSP.
    """
    evaluation = Evaluation.objects.select_related("run").filter(pk=pk, status=Evaluation.Status.COUNTED).first()
    name = health_explanation.evidence_name(evaluation) if evaluation is not None else ""
    if not name:
        raise NotFound("No evidence behind this value.")
    try:
        stored = open_stored(name)
    except StoredFileMissing:
        raise NotFound("The evidence file is missing.") from None
    except StorageUnreachable:
        return storage_unreachable_response()
    filename = name.rsplit("/", 1)[-1]
    response = FileResponse(stored, as_attachment=True, filename=filename, content_type="application/octet-stream")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


BADGE = {
    "certified": ("#2e7d32", gettext_lazy("certified")),
    "expiring": ("#2e7d32", gettext_lazy("certified")),
    "suspended": ("#c62828", gettext_lazy("suspended")),
    "not_certified": ("#6b7280", gettext_lazy("not certified")),
    "unknown": ("#6b7280", gettext_lazy("unknown model")),
}


def _text_width(text: str) -> int:
    """Approximate width in pixels at 11 px Verdana: wide (CJK) characters take about twice a Latin one."""
    return sum(13 if unicodedata.east_asian_width(char) in "WF" else 7 for char in text)


@cache_control(max_age=300, public=True)
def badge(request: HttpRequest, slug: str) -> HttpResponse:
    """A public SVG badge of the certification state, in the page's language, or in `?lang=` (`en`, `zh-hans`)
    for a README, where the image is fetched without the reader's language."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = get_language() or settings.LANGUAGE_CODE
    model = selectors.model_health_get(slug)
    state = health_rows([model])[0]["state"] if model is not None else "unknown"
    with translation.override(language):
        colour, lazy_text = BADGE[state]
        text = str(lazy_text)
        label = _("go3s health")
    left, right = _text_width(label) + 12, _text_width(text) + 12
    svg = render_to_string(
        "governance/health/badge.svg",
        {
            "label": label,
            "text": text,
            "colour": colour,
            "left": left,
            "right": right,
            "width": left + right,
            "left_mid": left // 2,
            "right_mid": left + right // 2,
            "slug": slug,
            "language": language,
        },
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8", status=200 if model is not None else 404)
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox"
    )
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response
