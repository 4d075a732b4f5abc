"""An administrator adds a university's OpenID Connect provider in the admin (issue #19 item 1): the form explains
each field and the callback URL, refuses an app without an issuer URL, and logs the change without the secret."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client

from accounts.models import AuditLogEntry, Role

pytestmark = pytest.mark.django_db
ADD = "/admin/socialaccount/socialapp/add/"


@pytest.fixture
def admin(make_user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def _form(**overrides: str) -> dict[str, str]:
    return {
        "provider": "openid_connect", "provider_id": "tsinghua", "name": "Tsinghua University",
        "client_id": "portal", "secret": "very-secret-value", "key": "",
        "settings": '{"server_url": "https://login.tsinghua.example.edu"}', **overrides,
    }  # fmt: skip


def test_the_add_page_explains_the_callback_url(admin):
    page = admin.get(ADD).content.decode()

    assert "/accounts/social/oidc/PROVIDER-ID/login/callback/" in page
    assert "server_url" in page


def test_an_openid_connect_app_needs_an_issuer_url(admin):
    response = admin.post(ADD, _form(settings="{}"))

    assert response.status_code == 200 and "Give the issuer as" in response.content.decode()
    assert not SocialApp.objects.exists()


def test_a_university_is_added_and_logged_without_its_secret(admin, client):
    assert admin.post(ADD, _form()).status_code == 302

    app = SocialApp.objects.get()
    assert app.settings == {"server_url": "https://login.tsinghua.example.edu"}
    entry = AuditLogEntry.objects.get(action="socialapp.admin_create")
    assert "secret" not in entry.after and entry.after["client_id"] == "portal"
    assert "Sign in with Tsinghua University" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
