"""Audit pages: the auditors' home (my audits, the review queue, values awaiting a second auditor), an audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import date, floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound
from accounts.links import choice_labels, url_for_ids, url_for_slugs
from accounts.models import Role
from accounts.page_errors import page_errors
from accounts.selectors import user_has_role
from governance.models import Audit, Dimension, Evaluation, Finding
from governance.selectors import audits as selectors
from governance.selectors import health as health_selectors
from governance.selectors import registry as registry_selectors
from governance.services import audits as services
from governance.services import health as health_services
from governance.services.audits import four_eyes_refusal
from notebooks.selectors import run_get_for_user


@login_required
def audit_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    auditor = user_has_role(user, Role.AUDITOR)
    # The three lists' finding counts come from one grouped query rather than two subqueries in each list's query.
    mine = list(selectors.audit_list_for_user(user, mine=True, counted=False)[:50])
    queue = list(selectors.audit_review_queue(user, counted=False)[:50]) if auditor else []
    recent = list(selectors.audit_list_for_user(user, counted=False).exclude(author_id=user.pk)[:30])
    counts = selectors.audit_finding_counts(audit.pk for audit in (*mine, *queue, *recent)) if mine or queue or recent else {}
    context = {
        "mine": _audit_rows(mine, counts),
        "queue": _audit_rows(queue, counts),
        "recent": _audit_rows(recent, counts),
        "pending_values": _pending_value_rows(request, user) if auditor else "",
        "opens_new_audit": not mine,
        "is_auditor": auditor,
        "kinds": Audit.Kind.choices,
    }
    return render(request, "governance/audits/home.html", context)


_STATUS_BADGE: dict[str, str] = {
    Audit.Status.ACCEPTED: "ok",
    Audit.Status.REJECTED: "bad",
    Audit.Status.SUBMITTED: "warn",
    Audit.Status.CHANGES_REQUESTED: "warn",
}


def _audit_rows(audits: list[Audit], counts: dict[int, tuple[int, int]]) -> SafeString:
    """Audits as the rows of governance/audits/_table.html with their finding counts (`audit_finding_counts`), drawn
    here with each label translated once, where the template's loop was included three times."""
    link = url_for_ids("governance:audit")
    kinds = choice_labels(Audit.Kind.choices)
    statuses = choice_labels(Audit.Status.choices)
    critical_label = _("critical")

    def findings(audit: Audit) -> SafeString:
        count, critical = counts.get(audit.pk, (0, 0))
        if critical:
            return format_html('{} <span class="badge bad">{} {}</span>', count, critical, critical_label)
        return format_html("{}", count)

    return format_html_join(
        "",
        '<tr data-audit="{}"><td>{}</td><td><a href="{}">{}</a></td><td>{} <small class="muted">{}</small></td><td>{}</td>'
        '<td><span class="badge {}">{}</span></td><td>{}</td><td class="num">{}</td><td>{}</td></tr>\n',
        (
            (
                *(audit.pk, audit.pk, link(audit.pk), audit.title, audit.model.slug, audit.version.version),
                kinds.get(audit.kind, audit.kind),
                *(_STATUS_BADGE.get(audit.status, ""), statuses.get(audit.status, audit.status), audit.author.username),
                *(findings(audit), date(localtime(audit.updated_at), "Y-m-d H:i")),
            )
            for audit in audits
        ),
    )


def _pending_value_rows(request: HttpRequest, user: Any) -> SafeString:
    """Community values waiting for a second auditor (not the user's own) as table rows, each with its Accept and
    Reject form. Drawn here from the five columns shown: one reverse per route and one CSRF field for all the forms
    (any masking of the token is accepted), where the template's loop reversed two links and masked a token per row."""
    values = (
        health_selectors.pending_community_evaluations()
        .exclude(submitted_by_id=user.pk)
        .values_list("pk", "version__model__slug", "dimension", "value", "unit", "submitted_by__username")[:30]
    )
    health_link = url_for_slugs("governance:model_health")
    review_link = url_for_ids("governance:evaluation_review")
    dimensions = choice_labels(Dimension.choices)
    decide = format_html(
        '{}<button class="primary small" name="decision" value="accept" type="submit">{}</button> '
        '<button class="secondary small" name="decision" value="reject" type="submit">{}</button>',
        csrf_input(request),
        _("Accept"),
        _("Reject"),
    )
    return format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td class="num">{} <small class="muted">{}</small></td><td>{}</td>\n'
        '<td><form method="post" action="{}" class="inline">{}</form></td></tr>\n',
        (
            (
                *(health_link(slug), slug, dimensions.get(dimension, dimension), floatformat(value, "-4"), unit),
                *(submitter or "", review_link(pk), decide),
            )
            for pk, slug, dimension, value, unit, submitter in values
        ),
    )


@login_required
@require_POST
@page_errors
def audit_create(request: HttpRequest) -> HttpResponse:
    if not user_has_role(request.user, Role.AUDITOR):
        raise NotAllowed(_("Only auditors open audits: apply for the auditor role first."))
    try:
        model = registry_selectors.model_get(request.POST.get("model", ""))
    except NotFound as error:
        raise ApplicationError(_("Choose a model to audit."), fields={"model": [_("Unknown model.")]}) from error
    audit = services.audit_create(
        actor=actor_of(request),
        model=model,
        kind=request.POST.get("kind", ""),
        title=request.POST.get("title", ""),
        summary=request.POST.get("summary", ""),
    )
    messages.success(request, _("Draft audit opened. Record findings and evidence, then submit it for review."))
    return redirect("governance:audit", pk=audit.pk)


@login_required
@page_errors
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(request.user, pk)
    actor = actor_of(request)
    context = {
        "audit": audit,
        "is_author": audit.author_id == actor.pk,
        "can_edit": audit.author_id == actor.pk and audit.editable,
        "decide_refusal": four_eyes_refusal(actor, audit) if audit.status == Audit.Status.SUBMITTED else None,
        "severities": Finding.Severity.choices,
    }
    return render(request, "governance/audits/detail.html", context)


def _audit(request: HttpRequest, pk: int) -> Audit:
    return selectors.audit_get_for_user(request.user, pk)


@login_required
@require_POST
@page_errors
def audit_update(request: HttpRequest, pk: int) -> HttpResponse:
    services.audit_update(
        actor=actor_of(request), audit=_audit(request, pk), title=request.POST.get("title"), summary=request.POST.get("summary")
    )
    messages.success(request, _("Audit saved."))
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    services.finding_add(
        actor=actor_of(request),
        audit=_audit(request, pk),
        severity=request.POST.get("severity", ""),
        title=request.POST.get("title", ""),
        text=request.POST.get("text", ""),
    )
    messages.success(request, _("Finding recorded."))
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    audit = _audit(request, pk)
    run = None
    raw_run = request.POST.get("run", "").strip()
    if raw_run:
        if not raw_run.isdigit():
            raise ApplicationError(_("A run is cited by its number."), fields={"run": [_("A run number.")]})
        try:
            run = run_get_for_user(actor, int(raw_run))
        except NotFound as error:
            raise ApplicationError(_("No such run."), fields={"run": [_("Unknown run, or not yours to cite.")]}) from error
    services.evidence_add(
        actor=actor,
        audit=audit,
        file=request.FILES.get("file"),
        run=run,
        link=request.POST.get("link", "").strip(),
        note=request.POST.get("note", ""),
    )
    messages.success(request, _("Evidence attached."))
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def audit_submit(request: HttpRequest, pk: int) -> HttpResponse:
    services.audit_submit(actor=actor_of(request), audit=_audit(request, pk))
    messages.success(request, _("Submitted: another auditor will decide it."))
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def audit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    audit = services.audit_decide(
        actor=actor_of(request),
        audit=_audit(request, pk),
        decision=request.POST.get("decision", ""),
        note=request.POST.get("note", ""),
    )
    messages.success(request, _("Decision recorded: %(status)s.") % {"status": audit.get_status_display()})
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def audit_comment(request: HttpRequest, pk: int) -> HttpResponse:
    services.audit_comment_add(actor=actor_of(request), audit=_audit(request, pk), text=request.POST.get("text", ""))
    return redirect("governance:audit", pk=pk)


@login_required
@require_POST
@page_errors
def evaluation_review(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = (
        Evaluation.objects.select_related("version__model").filter(pk=pk, provenance=Evaluation.Provenance.COMMUNITY).first()
    )
    if evaluation is None:
        raise NotFound(_("No such community value."))
    accept = request.POST.get("decision") == "accept"
    health_services.evaluation_review(
        actor=actor_of(request), evaluation=evaluation, accept=accept, note=request.POST.get("note", "")
    )
    messages.success(request, _("Value accepted: it counts now.") if accept else _("Value rejected."))
    return redirect("governance:audits")
