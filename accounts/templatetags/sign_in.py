"""The "Sign in with …" buttons: one per configured provider (GitHub from the environment, each university's
OpenID Connect app from the admin)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from django import template

register = template.Library()


def _authorization_origin(provider: Any) -> str:
    """Where the provider's sign-in page lives: GitHub's site, or the university's server (its `server_url`)."""
    if provider.id == "github":
        url = str(provider.get_oauth2_adapter(provider.request).authorize_url)
    else:
        url = str((provider.app.settings or {}).get("server_url", ""))
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@register.simple_tag(takes_context=True)
def identity_providers(context: dict[str, Any]) -> list[dict[str, str]]:
    """The configured providers, and their sign-in origins added to the page's CSP `form-action` (the buttons are
    POST forms that the portal redirects to the provider)."""
    request = context["request"]
    providers = get_adapter().list_providers(request)
    origins = [origin for origin in (_authorization_origin(provider) for provider in providers) if origin]
    request.csp_form_action = sorted({*(getattr(request, "csp_form_action", None) or []), *origins})
    return [
        {"id": provider.id, "name": str(provider.name), "login_url": provider.get_login_url(request)} for provider in providers
    ]
