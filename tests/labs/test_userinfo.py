"""The OAuth 2 userinfo JupyterHub reads: who signed in, and their roles as the Hub's groups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from accounts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hub_registered(tmp_path):
    call_command("hub_setup", hub_url="http://hub.test", env_file=str(tmp_path / "registered.env"))


def _bearer(user, scope: str = "profile") -> dict[str, str]:
    token = AccessToken.objects.create(
        user=user,
        application=Application.objects.get(client_id="go3s-hub"),
        token=f"t-{user.pk}-{scope}",
        expires=timezone.now() + timedelta(minutes=5),
        scope=scope,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token.token}"}


@pytest.mark.parametrize(
    ("roles", "superuser", "groups"),
    [
        ([Role.STUDENT], False, ["student"]),
        ([Role.INSTRUCTOR, Role.STUDENT], False, ["instructor", "student"]),
        ([Role.ADMINISTRATOR], False, ["administrator"]),
        ([], True, ["administrator"]),  # a superuser is a portal administrator
        ([Role.AUDITOR], False, []),  # not let into the Hub (allowed_groups)
    ],
)
def test_roles_arrive_as_the_hubs_groups_and_only_administrators_administer(make_user, roles, superuser, groups):
    user = make_user(*roles, username="Ada.Lovelace", is_superuser=superuser)
    answer = Client().get("/oauth/userinfo/", **_bearer(user))
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == "ada.lovelace"  # the Hub's (lowercased) name
    assert body["groups"] == groups


def test_a_token_without_the_profile_scope_or_a_session_alone_gets_nothing(make_user):
    user = make_user(Role.STUDENT)
    assert Client().get("/oauth/userinfo/", **_bearer(user, scope="read")).status_code == 403
    client = Client()
    client.force_login(user)
    assert client.get("/oauth/userinfo/").status_code == 403
    assert Client().get("/oauth/userinfo/", **_bearer(user)).status_code == 200


def test_hub_setup_registers_one_trusted_confidential_client_and_keeps_its_secrets(tmp_path):
    env_file = tmp_path / "hub.env"
    call_command("hub_setup", hub_url="http://hub.test:8001/", env_file=str(env_file))
    first = env_file.read_text()
    call_command("hub_setup", hub_url="http://hub.test:8001/", env_file=str(env_file))
    assert env_file.read_text() == first and oct(env_file.stat().st_mode & 0o777) == "0o600"
    application = Application.objects.get(client_id="go3s-hub")
    assert application.redirect_uris == "http://hub.test:8001/hub/oauth_callback"
    assert application.skip_authorization and application.client_type == Application.CLIENT_CONFIDENTIAL
    assert "GO3S_HUB_OAUTH_CLIENT_SECRET=" in first and application.client_secret not in first  # stored hashed
