"""Pages of the sign-in methods: the identities (GitHub, universities) linked to an account, linking, unlinking.

The provider round trips themselves are django-allauth's views (`accounts.identity_urls`); these pages are the
portal's own, so that linking by e-mail is confirmed and unlinking goes through `accounts.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.auth import actor_of
from accounts.errors import ApplicationError
from accounts.social_adapter import PENDING_LINK_SESSION_KEY, pending_link


@login_required
@require_http_methods(["GET", "POST"])
def sign_in_methods(request: HttpRequest) -> HttpResponse:
    """Lists the account's identities with an unlink button each, and a link button per configured provider."""
    actor = actor_of(request)
    status = 200
    if request.method == "POST":
        try:
            account_id = int(request.POST.get("account", ""))
        except ValueError:
            messages.error(request, _("Choose the sign-in method to remove."))
            status = 400
        else:
            try:
                services.social_identity_remove(actor=actor, account_id=account_id)
            except ApplicationError as error:
                messages.error(request, error.message)
                status = error.status
            else:
                messages.success(request, _("The sign-in method was removed."))
                return redirect("socialaccount_connections")
    context = {
        "identities": selectors.social_identities_for_user(actor),
        "has_password": actor.has_usable_password(),
    }
    return render(request, "accounts/sign_in_methods.html", context, status=status)


@require_http_methods(["GET", "POST"])
def identity_link_confirm(request: HttpRequest) -> HttpResponse:
    """An identity whose e-mail is an existing account's: sign in to that account, then confirm the link here.

    Nothing is linked on GET nor for someone signed out; "cancel" forgets the pending identity.
    """
    sociallogin = pending_link(request)
    if sociallogin is None:
        if request.user.is_authenticated:
            return redirect("socialaccount_connections")
        return redirect("login")
    if request.method == "POST":
        if request.POST.get("decision") != "link":
            request.session.pop(PENDING_LINK_SESSION_KEY, None)
            messages.info(request, _("Nothing was linked."))
            return redirect("socialaccount_connections" if request.user.is_authenticated else "login")
        if not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        request.session.pop(PENDING_LINK_SESSION_KEY, None)
        try:
            services.social_identity_link(actor=actor_of(request), request=request, sociallogin=sociallogin)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("socialaccount_connections")
        messages.success(request, _("Linked: you can now sign in with %(provider)s.") % {"provider": _provider_name(sociallogin)})
        return redirect("socialaccount_connections")
    identity = sociallogin.account.get_provider_account().to_str()
    context = {"provider": _provider_name(sociallogin), "identity": identity, "login_url": _login_url()}
    return render(request, "accounts/identity_link_confirm.html", context)


def _provider_name(sociallogin: object) -> str:
    return str(sociallogin.account.get_provider().name)  # type: ignore[attr-defined]


def _login_url() -> str:
    return reverse("login")
