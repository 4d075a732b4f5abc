from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400_in_the_error_shape():
    response = APIClient().post("/api/v1/auth/token/", data="{not json", content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_missing_fields_are_named():
    response = APIClient().post("/api/v1/auth/token/", data={}, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"username", "password"}


def test_anonymous_is_a_401_with_a_token_challenge():
    response = APIClient().get("/api/v1/me/")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_unknown_api_path_is_a_json_404():
    response = APIClient().get("/api/v1/no-such-thing/")

    assert_error(response, 404, "not_found")


def test_wrong_method_is_a_405_in_the_error_shape(make_user, api):
    response = api(make_user()).delete("/api/v1/me/")

    assert_error(response, 405)


def test_bad_token_is_a_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_session_post_without_csrf_token_is_refused(make_user, browser_client):
    client = browser_client(make_user())

    response = client.post("/api/v1/roles/applications/", {"role": "auditor", "motivation": "x"}, content_type="application/json")

    error = assert_error(response, 403)
    assert "CSRF" in error["message"]


def test_page_post_without_csrf_token_is_a_403_page(make_user, browser_client):
    client = browser_client(make_user())

    response = client.post("/accounts/roles/", {"role": "auditor", "motivation": "x"})

    assert response.status_code == 403
    assert b"CSRF" in response.content


def test_schema_and_docs_are_served():
    client = APIClient()

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
