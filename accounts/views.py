from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed
from accounts.forms import DecisionForm, RevokeForm, RoleApplicationForm, SignupForm
from accounts.models import Role, User
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
    grants = Paginator(selectors.role_grant_list_active(), 50).get_page(request.GET.get("page"))
    context = {
        "pending": selectors.role_application_list_pending()[:200],
        "grants": grants,
        "decision_form": DecisionForm(),
    }
    return render(request, "accounts/approval_queue.html", context)


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
    return render(request, "accounts/audit_log.html", {"page": page})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The inbox: what needs me. POST marks everything read."""
    from accounts.notifications import notifications_for, notifications_mark_read

    if request.method == "POST":
        notifications_mark_read(actor=actor_of(request))
        return redirect("accounts:notifications")
    page = Paginator(notifications_for(actor_of(request)), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})
