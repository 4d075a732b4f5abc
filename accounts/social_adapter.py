"""How django-allauth's GitHub and university sign-ins fit the portal's accounts.

- An identity nobody has linked yet whose e-mail belongs to an existing account is never logged into that account
  (the e-mail may be unverified at the provider, or the address recycled): the pending identity waits in the
  session, and the person signs in to the account and confirms the link (`accounts.views.identity_link_confirm`).
- Linking and signing up through an identity are written to the audit log (`accounts.services`), from allauth's
  signals, connected in `AccountsConfig.ready`.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from accounts import services
from accounts.models import User

PENDING_LINK_SESSION_KEY = "portal_pending_identity_link"


def _emails(sociallogin: SocialLogin) -> set[str]:
    found = {address.email for address in sociallogin.email_addresses}
    if sociallogin.user is not None and sociallogin.user.email:
        found.add(sociallogin.user.email)
    return {email.strip() for email in found if email and email.strip()}


def pending_link(request: HttpRequest) -> SocialLogin | None:
    """The identity waiting for its owner to sign in and confirm the link, if any."""
    data = request.session.get(PENDING_LINK_SESSION_KEY)
    if not data:
        return None
    try:
        return SocialLogin.deserialize(data)
    except (ValueError, KeyError):
        request.session.pop(PENDING_LINK_SESSION_KEY, None)
        return None


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: Any, client_id: Any = None) -> Any:
        """A provider without an app (GitHub without its OAuth app, an unknown university) is a 404, not an error."""
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("No such sign-in provider.") from None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Stops a first sign-in whose e-mail is an existing account's and asks for a confirmed link instead."""
        if sociallogin.is_existing or sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        emails = _emails(sociallogin)
        if not emails:
            return
        matches = Q()
        for email in emails:
            matches |= Q(email__iexact=email)
        if User.objects.filter(matches).exists():
            request.session[PENDING_LINK_SESSION_KEY] = sociallogin.serialize()
            raise ImmediateHttpResponse(redirect("identity_link_confirm"))


def identity_added(*, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any) -> None:
    """allauth's `social_account_added`: an identity was linked to a signed-in account."""
    services.social_identity_added(actor=sociallogin.user, account=sociallogin.account, signed_up=False)


def identity_signed_up(*, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """allauth's `user_signed_up`: an account was created from an identity (a first GitHub/university sign-in)."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None:
        services.social_identity_added(actor=user, account=sociallogin.account, signed_up=True)
