"""The "Sign in with …" buttons: one per configured provider (GitHub from the environment, each university's
OpenID Connect app from the admin)."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def identity_providers(context: dict[str, Any]) -> list[dict[str, str]]:
    request = context["request"]
    return [
        {"id": provider.id, "name": str(provider.name), "login_url": provider.get_login_url(request)}
        for provider in get_adapter().list_providers(request)
    ]
