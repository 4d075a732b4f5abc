from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_wrong_password_shows_a_clear_message(make_user):
    user = make_user()

    response = Client(HTTP_ACCEPT_LANGUAGE="en").post("/accounts/login/", {"username": user.username, "password": "nope"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_login_works_and_rotates_the_session_key(make_user):
    user = make_user()
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key

    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.session_key != before


def test_login_page_locks_out_after_repeated_failures(make_user):
    user = make_user()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    statuses = [
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    locked = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_token_endpoint_locks_out_too_even_with_the_right_password(make_user):
    user = make_user()
    client = APIClient()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_error(
            client.post("/api/v1/auth/token/", {"username": user.username, "password": "x"}, format="json"),
            403,
            "bad_credentials",
        )
    assert_error(
        client.post("/api/v1/auth/token/", {"username": user.username, "password": "x"}, format="json"), 429, "locked_out"
    )
    locked = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")

    assert_error(locked, 429, "locked_out")
    assert int(locked["Retry-After"]) > 0


def test_token_endpoint_issues_a_working_token(make_user):
    user = make_user()

    token = (
        APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json").json()["token"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/me/").json()["username"] == user.username
