"""The admin page where an administrator adds a university's OpenID Connect provider (a django-allauth SocialApp).

Registered from `AccountsConfig.ready`, after the admin has loaded allauth's own `SocialAppAdmin`, which this
replaces: the form says what each field means for a university, names the callback URL to give the university,
and refuses an OpenID Connect app without a usable `server_url`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.admin import SocialAppForm
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import admin
from django.utils.html import escape
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import AuditedModelAdmin

CALLBACK_PATH = "/accounts/social/oidc/PROVIDER-ID/login/callback/"


class IdentityProviderForm(SocialAppForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].help_text = _(
            "“OpenID Connect” for a university. GitHub is configured from the environment (GITHUB_CLIENT_ID)."
        )
        help_texts = {
            "provider_id": _("For OpenID Connect: a short name without spaces, e.g. “tsinghua”. It is part of the callback URL."),
            "name": _("The name on the button (“Sign in with …”), e.g. “Tsinghua University”."),
            "client_id": _("The client ID the university's identity service issued to the portal."),
            "secret": _("The client secret issued with it."),
            "settings": _(
                'For OpenID Connect: {"server_url": "https://login.university.edu"}, the issuer whose '
                "/.well-known/openid-configuration the portal reads."
            ),
        }
        for name, text in help_texts.items():
            if name in self.fields:
                self.fields[name].help_text = text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("provider") != "openid_connect":
            return cleaned
        if not (cleaned.get("provider_id") or "").strip() or "/" in cleaned.get("provider_id", ""):
            self.add_error("provider_id", _("An OpenID Connect provider needs a short name without “/”."))
        server_url = (cleaned.get("settings") or {}).get("server_url", "") if isinstance(cleaned.get("settings"), dict) else ""
        parts = urlsplit(str(server_url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.add_error("settings", _('Give the issuer as {"server_url": "https://…"}.'))
        return cleaned


class IdentityProviderAdmin(AuditedModelAdmin):
    form = IdentityProviderForm
    list_display = ("name", "provider", "provider_id", "client_id")
    audit_secret_fields = ("secret",)
    fieldsets = (
        (
            _("Sign-in provider"),
            {
                "fields": ("provider", "provider_id", "name", "client_id", "secret", "key", "settings"),
                "description": format_lazy(
                    _(
                        "A university's OpenID Connect service: register the portal there as a web client with the "
                        "callback URL {callback} (the provider id below in place of PROVIDER-ID), then enter what "
                        "it issued. The button appears on the sign-in page at once."
                    ),
                    callback=escape(f"{settings.PORTAL_BASE_URL}{CALLBACK_PATH}"),  # the admin renders it as HTML
                ),
            },
        ),
    )


def register() -> None:
    if admin.site.is_registered(SocialApp):
        admin.site.unregister(SocialApp)
    admin.site.register(SocialApp, IdentityProviderAdmin)
