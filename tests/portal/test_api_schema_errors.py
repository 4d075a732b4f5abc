"""Regression tests for what API fuzzing found (tests/portal/test_api_fuzzing.py): the schema declared only
the success response, so every 400/401/403/404/409/413/415/429 the API gives was undocumented."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


def _error_ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_the_error_shape_is_a_component(document):
    error = document["components"]["schemas"]["Error"]
    detail = document["components"]["schemas"]["ErrorDetail"]

    assert error["required"] == ["error"]
    assert set(detail["required"]) == {"code", "message", "fields"}


def test_every_operation_declares_401_and_403_with_the_error_shape(document):
    for method, path, operation in _operations(document):
        for status in ("401", "403"):
            assert status in operation["responses"], f"{method} {path} lacks {status}"
            assert _error_ref(operation["responses"][status]) == "#/components/schemas/Error"


def test_operations_with_input_or_ids_declare_400_and_404(document):
    for method, path, operation in _operations(document):
        has_query = any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
        if method != "GET" or "{" in path or has_query:
            assert "400" in operation["responses"], f"{method} {path} lacks 400"
        if method != "GET" or "{" in path:
            assert "404" in operation["responses"], f"{method} {path} lacks 404"


def test_writes_declare_the_write_errors(document):
    for method, path, operation in _operations(document):
        if method != "GET":
            assert {"409", "413", "415", "503"} <= set(operation["responses"]), f"{method} {path}"


def test_the_token_endpoint_declares_the_lockout(document):
    assert "429" in document["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_the_run_list_documents_the_parameters_it_reads(document):
    """It declared a `page` it ignored (the list was the newest 200) and not the `scope` it reads; now it pages."""
    names = {parameter["name"] for parameter in document["paths"]["/api/v1/runs/"]["get"]["parameters"]}

    assert names == {"status", "scope", "page", "page_size"}


def test_an_unknown_notebook_in_a_run_body_is_a_declared_404(document, make_user, api, catalogue):
    assert "404" in document["paths"]["/api/v1/runs/"]["post"]["responses"]

    response = api(make_user()).post("/api/v1/runs/", {"notebook": "no-such", "parameters": {}, "queue": "cpu"}, format="json")

    assert response.status_code == 404
