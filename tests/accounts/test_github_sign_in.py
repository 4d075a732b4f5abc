"""Sign in with GitHub (issue #19 item 1), through django-allauth's real views.

GitHub cannot be reached, so its token and user endpoints are mocked the way allauth's own provider tests do
(the authorize redirect is followed to its `state`, the callback is called with a code, the token exchange and
the `/user` + `/user/emails` calls answer canned JSON). Everything on the portal's side is real.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import AuditLogEntry, User
from tests.conftest import audit_actions

pytestmark = pytest.mark.django_db

SIGN_IN_METHODS = "/accounts/sign-in-methods/"


@pytest.fixture(autouse=True)
def github_app(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "github": {"SCOPE": ["read:user", "user:email"], "APPS": [{"client_id": "portal-test", "secret": "s3cret"}]},
    }


def github_round_trip(
    client: Client, *, uid: int, login: str, email: str, verified: bool = True, process: str = "login", next_url: str = ""
) -> Any:
    """Clicks "Sign in with GitHub" (or "Link GitHub"), lets GitHub answer, and returns the callback's response."""
    started = client.post("/accounts/social/github/login/", {"process": process, "next": next_url})
    assert started.status_code == 302, started.content[:300]
    authorize = urlparse(started["Location"])
    assert authorize.netloc == "github.com"
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["portal-test"]
    with responses.RequestsMock() as github:
        github.post("https://github.com/login/oauth/access_token", json={"access_token": "gho_x", "token_type": "bearer"})
        github.get(
            "https://api.github.com/user",
            json={"id": uid, "login": login, "name": "Octo Owner", "email": email, "html_url": f"https://github.com/{login}"},
        )
        github.get("https://api.github.com/user/emails", json=[{"email": email, "primary": True, "verified": verified}])
        return client.get("/accounts/social/github/login/callback/", {"code": "granted", "state": query["state"][0]})


def test_the_login_page_offers_github_in_both_languages(client):
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "Sign in with GitHub" in english and 'action="/accounts/social/github/login/"' in english
    assert "使用 GitHub 登录" in chinese


def test_without_an_oauth_app_there_is_no_github_button(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"github": {}, "openid_connect": {}}

    assert 'data-provider="github"' not in client.get("/accounts/login/").content.decode()


def test_a_first_github_sign_in_creates_a_linked_account_and_signs_it_in(client):
    response = github_round_trip(client, uid=4242, login="octo-owner", email="octo@example.net", next_url="/me/")

    assert response.status_code == 302 and response["Location"] == "/me/"
    account = SocialAccount.objects.get(provider="github", uid="4242")
    assert account.extra_data["login"] == "octo-owner" and account.user.email == "octo@example.net"
    assert not account.user.has_usable_password()
    assert client.get("/me/").status_code == 200  # signed in
    entry = AuditLogEntry.objects.get(action="user.identity_signup")
    assert entry.actor_id == account.user_id and entry.after["login"] == "octo-owner"

    # Signing in again with the same identity lands in the same account, creating nothing.
    client.post("/accounts/logout/")
    again = github_round_trip(client, uid=4242, login="octo-owner", email="octo@example.net")
    assert again.status_code == 302 and User.objects.count() == 1
    assert client.get("/me/").status_code == 200


def test_an_identity_with_an_existing_accounts_email_asks_to_sign_in_and_confirm(client, make_user):
    owner = make_user(email="ada@example.org", username="ada")

    # Given GitHub vouches for ada's address, the portal still does not sign anybody in to ada's account.
    response = github_round_trip(client, uid=7, login="ada-gh", email="ADA@example.org")
    assert response.status_code == 302 and response["Location"] == "/accounts/sign-in-methods/link/"
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists() and User.objects.count() == 1
    explained = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "sign in to that account first" in explained and "ada-gh" in explained
    assert client.post(response["Location"], {"decision": "link"}).status_code == 302
    assert not SocialAccount.objects.exists()  # signed out, nothing is linked

    # When ada signs in with her password and confirms, then the identity is hers.
    signed_in = client.post("/accounts/login/", {"username": "ada", "password": "correct horse battery staple"})
    assert signed_in.status_code == 302
    assert "ada-gh" in client.get("/accounts/sign-in-methods/link/").content.decode()
    assert client.post("/accounts/sign-in-methods/link/", {"decision": "link"})["Location"] == SIGN_IN_METHODS
    assert SocialAccount.objects.get(provider="github").user == owner
    assert "user.identity_link" in audit_actions()

    # And the next GitHub sign-in goes straight into ada's account.
    client.post("/accounts/logout/")
    github_round_trip(client, uid=7, login="ada-gh", email="ada@example.org")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_declining_the_link_forgets_the_identity(client, make_user):
    make_user(email="bo@example.org")
    github_round_trip(client, uid=8, login="bo-gh", email="bo@example.org")

    assert client.post("/accounts/sign-in-methods/link/", {"decision": "cancel"}).status_code == 302
    assert client.get("/accounts/sign-in-methods/link/")["Location"] == "/accounts/login/"
    assert not SocialAccount.objects.exists()


def test_a_signed_in_person_links_github_and_sees_it_listed(client, make_user):
    person = make_user(username="cy")
    client.force_login(person)

    response = github_round_trip(client, uid=9, login="cy-gh", email="elsewhere@example.net", process="connect")

    assert response.status_code == 302 and response["Location"] == SIGN_IN_METHODS
    assert SocialAccount.objects.get(provider="github").user == person
    page = client.get(SIGN_IN_METHODS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "GitHub" in page and "cy-gh" in page and "Unlink" in page
    assert audit_actions()[-1] == "user.identity_link"


def test_unlinking_the_last_way_to_sign_in_is_refused(client):
    github_round_trip(client, uid=10, login="only-gh", email="only@example.net")
    account = SocialAccount.objects.get()

    response = client.post(SIGN_IN_METHODS, {"account": account.pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert "only way to sign in" in response.content.decode()
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    assert audit_actions()[-1] == "user.identity_unlink.denied"


def test_with_a_password_an_identity_can_be_unlinked_and_someone_elses_cannot(client, make_user):
    person, stranger = make_user(), make_user()
    theirs = SocialAccount.objects.create(user=stranger, provider="github", uid="11", extra_data={"login": "x"})
    mine = SocialAccount.objects.create(user=person, provider="github", uid="12", extra_data={"login": "me-gh"})
    client.force_login(person)

    assert client.post(SIGN_IN_METHODS, {"account": theirs.pk}).status_code == 404
    assert client.post(SIGN_IN_METHODS, {"account": "nope"}).status_code == 400
    assert client.post(SIGN_IN_METHODS, {"account": mine.pk}).status_code == 302

    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["11"]
    entry = AuditLogEntry.objects.get(action="user.identity_unlink")
    assert entry.actor_id == person.pk and entry.before["login"] == "me-gh"


def test_an_identity_linked_to_someone_else_is_not_linked_twice(client, make_user):
    SocialAccount.objects.create(user=make_user(), provider="github", uid="13", extra_data={"login": "taken"})
    client.force_login(make_user())

    github_round_trip(client, uid=13, login="taken", email="t@example.net", process="connect")

    assert SocialAccount.objects.get(uid="13").user.username != client.session.get("_auth_user_id")
    assert SocialAccount.objects.count() == 1
