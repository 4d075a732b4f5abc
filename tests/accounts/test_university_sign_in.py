"""Sign in with a university's OpenID Connect provider (issue #19 item 1), against a real provider.

node-oidc-provider runs on localhost (`oidc_provider`, tests/oidc); the university is registered as an
administrator does it in the admin (a SocialApp of provider `openid_connect` with its `server_url`). The portal
discovers the provider, exchanges the code, checks the signed id_token against the provider's keys and reads
the user info, all over real HTTP.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import AuditLogEntry, User
from tests.oidc.server import PROVIDER_ID, sign_in_at_provider

pytestmark = pytest.mark.django_db


def _university_sign_in(client: Client, login: str, *, process: str = "login") -> object:
    started = client.post(f"/accounts/social/oidc/{PROVIDER_ID}/login/", {"process": process, "next": "/me/"})
    assert started.status_code == 302, started.content[:500]
    callback = urlparse(sign_in_at_provider(started["Location"], login))
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture
def client() -> Client:
    """The portal as 127.0.0.1, the host its redirect URI is registered under at the provider."""
    return Client(SERVER_NAME="127.0.0.1")


def test_the_login_page_has_one_button_per_university(client, oidc_provider):
    oidc_provider.social_app(name="Example University")

    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Sign in with Example University" in page
    assert f'action="/accounts/social/oidc/{PROVIDER_ID}/login/"' in page


def test_a_university_sign_in_creates_a_linked_account(client, oidc_provider):
    oidc_provider.social_app()

    response = _university_sign_in(client, "ada.lovelace")

    assert response.status_code == 302 and response["Location"] == "/me/"
    account = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert account.uid == "ada.lovelace" and account.user.email == "ada.lovelace@uni.example.edu"
    assert client.session["_auth_user_id"] == str(account.user_id)
    assert AuditLogEntry.objects.filter(action="user.identity_signup", actor=account.user).exists()


def test_a_signed_in_person_links_a_university_identity(client, oidc_provider, make_user):
    oidc_provider.social_app()
    person = make_user(username="turing", email="alan@example.org")
    client.force_login(person)

    response = _university_sign_in(client, "alan.turing", process="connect")

    assert response.status_code == 302
    assert SocialAccount.objects.get(provider=PROVIDER_ID).user == person
    assert User.objects.count() == 1


def test_a_university_whose_server_does_not_answer_gets_a_clear_page(client):
    from allauth.socialaccount.models import SocialApp

    SocialApp.objects.create(
        provider="openid_connect", provider_id=PROVIDER_ID, name="Down University", client_id="c", secret="s",
        settings={"server_url": "http://127.0.0.1:9"},
    )  # fmt: skip

    response = client.post(f"/accounts/social/oidc/{PROVIDER_ID}/login/", {"process": "login"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 502 and "Third-Party Login Failure" in response.content.decode()
    assert not User.objects.exists()
