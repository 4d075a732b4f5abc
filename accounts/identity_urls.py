"""The URLs of sign-in with GitHub and universities, mounted under `accounts/` by `portal/urls.py`.

Only the parts of django-allauth the portal uses: the provider round trips (`social/github/…`,
`social/oidc/<provider_id>/…`) and the pages allauth redirects to by name. The local sign-in, sign-up and password
reset stay the portal's own (`accounts.urls`), so allauth's `account_login` name points at the portal's login page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from allauth.account import views as allauth_account_views
from allauth.socialaccount import views as allauth_social_views
from allauth.urls import build_provider_urlpatterns
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic.base import RedirectView
from requests import RequestException

from accounts import identity_views

logger = logging.getLogger(__name__)


def _provider_unreachable_answered(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A university's server that does not answer (its discovery document, at the start of a sign-in) is a 502
    page saying so, not a server error: allauth handles the callback's failures itself, not the start's."""

    @functools.wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RequestException as error:
            logger.warning("Sign-in provider unreachable at %s: %s", request.path, type(error).__name__)
            return render(request, "socialaccount/authentication_error.html", status=502)

    return answered


def _provider_urlpatterns() -> Sequence[URLPattern | URLResolver]:
    patterns = build_provider_urlpatterns()
    pending: list[URLPattern | URLResolver] = list(patterns)
    while pending:
        entry = pending.pop()
        if isinstance(entry, URLResolver):
            pending.extend(entry.url_patterns)
        else:
            entry.callback = _provider_unreachable_answered(entry.callback)
    return patterns


urlpatterns: list[URLPattern | URLResolver] = [
    path("sign-in-methods/", identity_views.sign_in_methods, name="socialaccount_connections"),
    path("sign-in-methods/link/", identity_views.identity_link_confirm, name="identity_link_confirm"),
    path("social/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="account_login"),
    path("social/inactive/", allauth_account_views.account_inactive, name="account_inactive"),
    path("social/signup/", allauth_social_views.signup, name="socialaccount_signup"),
    path("social/login/cancelled/", allauth_social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("social/login/error/", allauth_social_views.login_error, name="socialaccount_login_error"),
    path("social/", include(list(_provider_urlpatterns()))),
]
