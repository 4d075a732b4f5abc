"""Audit pages: the auditors' home (my audits, the review queue, values awaiting a second auditor), an audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound
from accounts.models import Role
from accounts.page_errors import page_errors
from accounts.selectors import user_has_role
from governance.models import Audit, Evaluation, Finding
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
    context = {
        "mine": selectors.audit_list_for_user(user, mine=True)[:50],
        "queue": selectors.audit_review_queue(user)[:50] if auditor else [],
        "recent": selectors.audit_list_for_user(user).exclude(author_id=user.pk)[:30],
        "pending_values": health_selectors.pending_community_evaluations().exclude(submitted_by_id=user.pk)[:30]
        if auditor
        else [],
        "is_auditor": auditor,
        "kinds": Audit.Kind.choices,
    }
    return render(request, "governance/audits/home.html", context)


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
