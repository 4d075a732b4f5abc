"""The API's contract as generated clients read it: a valid OpenAPI document, the same in every language, one
body type per operation, every list a page, required fields, closed enums, and JSON for every `/api/` path."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from openapi_spec_validator import validate

from accounts.errors import ERROR_CODES
from accounts.models import Role
from notebooks.models import Run
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _schema(language: str = "en") -> dict:
    response = Client().get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        return _schema()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_the_schema_passes_the_openapi_validator(document):
    validate(document)  # raises with the first violation


def test_the_schema_is_the_same_in_chinese_and_states_its_version_and_server(document):
    assert _schema("zh-hans") == document
    assert document["info"]["version"] == settings.API_VERSION
    assert document["servers"] == [{"url": "/", "description": document["servers"][0]["description"]}]


def test_the_token_is_a_bearer_scheme_and_the_server_takes_bearer_and_token(document, make_user):
    from rest_framework.authtoken.models import Token

    assert document["components"]["securitySchemes"]["tokenAuth"]["type"] == "http"
    assert document["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    user = make_user(Role.STUDENT)
    key = Token.objects.create(user=user).key
    for header in (f"Bearer {key}", f"Token {key}"):
        me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
        assert me.status_code == 200 and me.json()["username"] == user.username
    assert_error(Client().get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer wrong"), 401)


def test_every_body_has_one_type_json_unless_it_carries_a_file(document):
    for path, method, operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if not content:
            continue
        assert len(content) == 1, (method, path, list(content))
        media_type, body = next(iter(content.items()))
        schema = body["schema"]
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        has_file = any(field.get("format") == "binary" for field in schema.get("properties", {}).values())
        assert media_type == ("multipart/form-data" if has_file else "application/json"), (method, path, media_type)


def test_every_list_is_a_declared_page(document):
    lists = 0
    for path, method, operation in _operations(document):
        if method != "get":
            continue
        schema = next(iter(operation["responses"]["200"].get("content", {}).values()), {}).get("schema", {})
        assert schema.get("type") != "array", f"GET {path} answers with a bare array"
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name.startswith("Paginated"):
            lists += 1
            page = document["components"]["schemas"][name]
            assert set(page["required"]) == {"count", "next", "previous", "results"}
            assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size"}
    assert lists >= 21


def test_a_page_says_how_many_there_are_and_links_the_next(api, make_user, catalogue):
    client = api(make_user(Role.STUDENT))
    for _ in range(3):
        assert client.post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 2}}, format="json").status_code == 201

    first = client.get("/api/v1/runs/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    assert {run["id"] for run in first["results"] + second["results"]} == set(Run.objects.values_list("pk", flat=True))
    assert_error(client.get("/api/v1/runs/?page=9"), 404)


def test_fields_a_response_always_has_are_required(document):
    schemas = document["components"]["schemas"]
    assert {"status", "parameters", "metrics", "created_at", "started_at", "finished_at"} <= set(schemas["Run"]["required"])
    assert "status" in schemas["Quarter"]["required"] and "status" in schemas["Audit"]["required"]
    assert schemas["Run"]["properties"]["parameters"]["type"] == "object"
    assert "anyOf" in schemas["Parameter"]["properties"]["default"]
    assert schemas["Manifest"]["required"][:2] == ["quarter", "methodology_version"]
    assert "runs_per_month" in schemas["StatsOutput"]["required"]


def test_decisions_and_error_codes_are_enums(document):
    schemas = document["components"]["schemas"]
    decide = schemas["AuditDecideInputRequest"]["properties"]["decision"]
    assert schemas[decide["$ref"].rsplit("/", 1)[1]]["enum"] == ["accept", "reject", "changes"]
    assert schemas["ErrorCodeEnum"]["enum"] == list(ERROR_CODES)


def _codes_in_source() -> set[str]:
    """Every error code the portal's source names: `code="…"` arguments, `default_code = "…"`, and the literal
    codes handed to the error-body helpers."""
    codes: set[object] = set()
    for folder in ("accounts", "notebooks", "governance", "courses", "guide", "portal"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            codes.add(keyword.value.value)
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in ("error_body", "json_error_response", "_refuse"):
                        codes.update(
                            arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                        )
                if (
                    isinstance(node, ast.Assign)
                    and isinstance(node.value, ast.Constant)
                    and any(getattr(target, "id", "") == "default_code" for target in node.targets)
                ):
                    codes.add(node.value.value)
                if isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                            codes.add(value.value)
    return {code for code in codes if isinstance(code, str) and code.islower() and " " not in code}


def test_every_error_code_the_source_raises_is_in_the_enum():
    found = _codes_in_source()
    assert "quarter_frozen" in found and "four_eyes" in found  # the scan sees what it should
    assert found - set(ERROR_CODES) == set()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing/", 404),
        ("post", "/api/v1/no-such-thing", 404),
        ("get", "/api/nothing", 404),
        ("delete", "/api/v1/notebooks/", 405),
        ("put", "/api/v1/stats/", 405),
    ],
)
def test_every_api_path_answers_json(method, path, status):
    response = getattr(Client(), method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] in ERROR_CODES


def test_a_path_without_its_trailing_slash_is_served(make_user, settings):
    from rest_framework.authtoken.models import Token

    settings.DEBUG = True  # where Django's APPEND_SLASH turned a POST into a 500
    user = make_user(Role.STUDENT)
    token = Token.objects.create(user=user).key
    listed = Client().get("/api/v1/notebooks", HTTP_AUTHORIZATION=f"Bearer {token}")
    posted = Client().post(
        "/api/v1/roles/applications",
        {"role": Role.AUDITOR, "motivation": "I audit."},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert listed.status_code == 200 and "results" in listed.json()
    assert posted.status_code == 201 and posted.json()["role"] == Role.AUDITOR


def test_the_schema_is_its_committed_version(document):
    """`portal/api-schema/v<major>.yaml` is the contract clients are generated from. A change to the API shows
    here first: regenerate the file (below) and read its diff. If it would break a client generated from the
    committed file (a path, operation, field or enum value removed or renamed, a type changed, an input newly
    required), it is a new major version: raise `API_VERSION` in portal/settings.py, name the file after it and
    say what changed in README.md ("API versions")."""
    major = settings.API_VERSION.split(".")[0]
    committed = yaml.safe_load((ROOT / "portal" / "api-schema" / f"v{major}.yaml").read_text(encoding="utf-8"))
    regenerate = (
        f"DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py spectacular --file portal/api-schema/v{major}.yaml"
    )
    changed = sorted(
        f"{section} {name}"
        for section, live, old in (
            ("path", document["paths"], committed["paths"]),
            ("component", document["components"]["schemas"], committed["components"]["schemas"]),
        )
        for name in set(live) | set(old)
        if live.get(name) != old.get(name)
    )
    assert document == committed, f"The API changed ({', '.join(changed) or 'info'}); regenerate with: {regenerate}"
