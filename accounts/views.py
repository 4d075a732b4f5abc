from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import date, linebreaksbr, truncatechars
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit_sentences, selectors, services
from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed
from accounts.forms import DecisionForm, RevokeForm, RoleApplicationForm, SignupForm
from accounts.links import choice_labels, url_for_ids
from accounts.models import AuditLogEntry, Role, RoleApplication, RoleGrant, User
from accounts.page_errors import form_add_service_errors, page_errors, refusal_page


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:roles")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            actor=None,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Apply for the roles you need below."))
        return redirect("accounts:roles")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def my_roles(request: HttpRequest) -> HttpResponse:
    form = RoleApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.role_application_create(actor=actor_of(request), **form.cleaned_data)
            except ApplicationError as error:
                form_add_service_errors(form, error)
                status = error.status
            else:
                messages.success(request, _("Your application was sent to the stewards."))
                return redirect("accounts:roles")
        else:
            status = 400
    context = {
        "form": form,
        "roles": sorted(selectors.user_roles(request.user)),
        "role_labels": dict(Role.choices),
        "applications": selectors.role_application_list_for_user(actor_of(request))[:50],
    }
    return render(request, "accounts/my_roles.html", context, status=status)


@login_required
@page_errors
def approval_queue(request: HttpRequest) -> HttpResponse:
    if not selectors.user_can_decide_applications(request.user):
        raise NotAllowed(_("Only stewards and administrators decide role applications."))
    shown = ("role", "granted_at", "user__display_name", "user__username", "granted_by__display_name", "granted_by__username")
    grants = Paginator(selectors.role_grant_list_active().only(*shown), 50).get_page(request.GET.get("page"))
    pending = list(selectors.role_application_list_pending()[:200])
    context = {
        "pending": _application_rows(request, pending),
        "pending_count": len(pending),
        "grants": grants,
        "grant_rows": _grant_rows(request, grants),
        "decision_form": DecisionForm(),
    }
    return render(request, "accounts/approval_queue.html", context)


def _application_rows(request: HttpRequest, applications: list[RoleApplication]) -> SafeString:
    """Pending applications as the queue's rows with their decision forms, drawn here: one reverse, one CSRF field
    for every form (any masking of the token is accepted) and each label translated once."""
    link = url_for_ids("accounts:decide")
    roles = choice_labels(Role.choices)
    decide = format_html(
        '{}\n        <input type="text" name="reason" placeholder="{}" aria-label="{}">\n'
        '        <button class="primary" name="decision" value="approve">{}</button>\n'
        '        <button class="secondary" name="decision" value="reject">{}</button>\n      ',
        *(csrf_input(request), _("Reason (optional)"), _("Reason"), _("Approve"), _("Reject")),
    )
    return format_html_join(
        "",
        '\n  <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\n      <td><form method="post" action="{}">{}</form></td></tr>\n  ',
        (
            (
                *(application.applicant, roles.get(application.role, application.role)),
                linebreaksbr(application.motivation, autoescape=True),
                *(date(localtime(application.created_at), "Y-m-d H:i"), link(application.pk), decide),
            )
            for application in applications
        ),
    )


def _grant_rows(request: HttpRequest, grants: Iterable[RoleGrant]) -> SafeString:
    """A page of active roles as rows with their revoke forms, drawn here: the template's loop looked every role's
    label up twice a row (each lookup translating all the roles' labels) and masked a CSRF token per row."""
    roles = choice_labels(Role.choices)
    # As {% blocktranslate %} gives it: the values escaped, the translated sentence as it is.
    loses = _("%(user)s loses the role %(role)s at once; getting it back takes a new application. The revocation is logged.")
    form_head = format_html(
        '<details class="confirm" data-confirm-revoke><summary class="button danger small">{}</summary>\n'
        '        <form method="post" action="{}" class="confirm-card card">{}\n        ',
        *(_("Revoke…"), reverse("accounts:revoke"), csrf_input(request)),
    )
    form_tail = format_html(
        '\n        <input type="text" name="reason" required placeholder="{}" aria-label="{}">\n'
        '        <button class="danger small" type="submit">{}</button></form></details>',
        *(_("Reason"), _("Reason"), _("Revoke")),
    )

    def row(grant: RoleGrant) -> tuple[Any, ...]:
        role = roles.get(grant.role, grant.role)
        granted = date(localtime(grant.granted_at), "Y-m-d")
        by = format_html(" · {}", grant.granted_by) if grant.granted_by else ""
        sentence = mark_safe(loses % {"user": conditional_escape(str(grant.user)), "role": conditional_escape(role)})  # noqa: S308
        return (grant.user, role, granted, by, form_head, sentence, grant.user_id, grant.role, form_tail)

    return format_html_join(
        "",
        "\n  <tr><td>{}</td><td>{}</td><td>{}{}</td>\n      <td>{}<p>{}</p>\n"
        '        <input type="hidden" name="user_id" value="{}"><input type="hidden" name="role" value="{}">{}</td></tr>\n  ',
        (row(grant) for grant in grants),
    )


@login_required
@require_POST
def decide_application(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    form = DecisionForm(request.POST)
    valid = form.is_valid()
    if not valid and selectors.user_can_decide_applications(actor):
        messages.error(request, _("Choose approve or reject."))
        return redirect("accounts:queue")
    try:
        # Someone who may not decide is refused (and logged) by the service whatever the form holds.
        application = services.role_application_decide(
            actor=actor,
            application_id=pk,
            approve=valid and form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data.get("reason", "") if valid else "",
        )
    except NotAllowed as error:
        return refusal_page(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:queue")
    messages.success(
        request, _("%(user)s: %(status)s.") % {"user": application.applicant, "status": application.get_status_display()}
    )
    return redirect("accounts:queue")


@login_required
@require_POST
def revoke_role(request: HttpRequest) -> HttpResponse:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the revocation."))
        return redirect("accounts:queue")
    user = get_object_or_404(User, pk=form.cleaned_data["user_id"])
    try:
        services.role_revoke(
            actor=actor_of(request), user=user, role=form.cleaned_data["role"], reason=form.cleaned_data["reason"]
        )
    except NotAllowed as error:
        return refusal_page(request, error)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Role revoked."))
    return redirect("accounts:queue")


@login_required
@page_errors
def audit_log(request: HttpRequest) -> HttpResponse:
    if not selectors.user_has_role(request.user, Role.ADMINISTRATOR, Role.STEWARD):
        raise NotAllowed(_("The audit log is open to stewards and administrators."))
    entries = selectors.audit_log_list(object_type=request.GET.get("type", "")[:80], object_id=request.GET.get("id", "")[:64])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page, "rows": _audit_log_rows(page)})


_CLIP = 160


def _clipped(text: str) -> str:
    """As `|truncatechars:160`, which normalises the text and counts it character by character: a text of at most
    160 characters is never cut, and most of the log's values are short."""
    return unicodedata.normalize("NFC", text) if len(text) <= _CLIP else truncatechars(text, _CLIP)


def _audit_log_rows(entries: Iterable[AuditLogEntry]) -> SafeString:
    """A page of the audit log as table rows, drawn here: 50 entries with some 200 changed fields, each a template
    lookup, an `{% if %}` and a truncation in the template's loops."""

    def changes(entry: AuditLogEntry) -> SafeString | str:
        rows = audit_sentences.changes(entry)
        if not rows:
            return ""
        items = format_html_join(
            "",
            '<li><span class="muted">{}:</span> {}{}</li>',
            ((field, format_html("<del>{}</del> → ", _clipped(old)) if old else "", _clipped(new)) for field, old, new in rows),
        )
        return format_html('<ul class="changes">{}</ul>', items)

    return format_html_join(
        "",
        '\n  <tr data-entry="{}"><td>{}</td><td data-sentence>{}</td>\n'
        "      <td>{}</td>\n      <td><code>{}</code></td></tr>\n  ",
        (
            (
                *(entry.pk, date(localtime(entry.created_at), "Y-m-d H:i:s"), audit_sentences.sentence(entry)),
                *(changes(entry), entry.action),
            )
            for entry in entries
        ),
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The inbox: what needs me. POST marks everything read."""
    from accounts.notifications import notifications_for, notifications_mark_read

    if request.method == "POST":
        notifications_mark_read(actor=actor_of(request))
        return redirect("accounts:notifications")
    page = Paginator(notifications_for(actor_of(request)), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})
