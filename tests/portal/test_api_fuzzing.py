"""Property-based fuzzing of the whole REST API from its own OpenAPI schema (schemathesis, in process).

Every operation in `/api/schema/` is tested — the list comes from the schema, so operations added by
other apps are covered as soon as their URLs are included. For each operation schemathesis generates
requests (path, query and body) from the schema; each example is sent with the token of one of eight
visitors (the seven roles and anonymous), drawn with the data. Checks on every response:

- no 5xx (`not_a_server_error`);
- the response conforms to the schema's declared response for its status (`response_schema_conformance`)
  and its status is one the schema declares (`status_code_conformance`);
- every 4xx carries the portal's error shape `{"error": {"code", "message", "fields"}}`.

Budget: 100 examples per operation (the issue's bar), the visitor drawn per example, so each operation is
tried by every visitor on average a dozen times rather than 100 times each (8 × 100 × every operation
does not fit the ≤ 4 minutes this 2-core machine allows). A stateful pass follows the links schemathesis
infers between operations (an id returned by a create used by a read or an action).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.db.models import CharField, SlugField
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from accounts.models import Role, RoleApplication
from notebooks.models import Notebook, Run
from tests.portal.test_permission_matrix import ROW_MODULES

pytestmark = [pytest.mark.django_db, pytest.mark.fuzzing]

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "100"))
STATEFUL_SCENARIOS = 30
VISITOR_ROLES: dict[str, list[str] | None] = {
    "anonymous": None,
    "student": [Role.STUDENT],
    "auditor": [Role.AUDITOR],
    "curator": [Role.CURATOR],
    "maintainer": [Role.TOOLCHAIN_MAINTAINER],
    "steward": [Role.STEWARD],
    "instructor": [Role.INSTRUCTOR],
    "administrator": [Role.ADMINISTRATOR],
}


def _schema_document() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> list[tuple[str, str]]:
    document = _schema_document()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


@schemathesis.check
def portal_error_shape(ctx, response, case) -> bool | None:
    """Every 4xx from the API is `{"error": {"code": str, "message": str, "fields": {...}}}`."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"4xx without the error shape: {body!r}"[:500]
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, f"error keys: {sorted(error)}"
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["fields"], dict), error
    return True


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, portal_error_shape]


@pytest.fixture
def api_schema(db):
    """The schema, loaded from the in-process WSGI app; its requests share the test's database connection.

    Django's WSGI handler closes the connection at the end of each request (`close_old_connections`),
    which would close the test transaction; Django's own test client lifts that the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(make_user, catalogue, monkeypatch):
    """A token per visitor, over the same world the permission matrix builds (every app's `world()`), so
    that ids and slugs in generated requests land on real objects (owned, foreign, in every state)."""
    from rest_framework.authtoken.models import Token

    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    users = {visitor: make_user(*roles) for visitor, roles in VISITOR_ROLES.items() if roles is not None}
    for module in ROW_MODULES:
        users.update({name: make_user(*roles) for name, roles in module.VISITORS.items()})
        module.world(users, make_user)
    notebook = Notebook.objects.get(slug="short")
    for owner in (users["student"], users["instructor"]):
        Run.objects.create(
            notebook=notebook, version=notebook.current_version, owner=owner, parameters={"steps": 3, "device": "auto"},
            timeout_seconds=60, memory_limit_mb=512,
        )  # fmt: skip
    RoleApplication.objects.create(applicant=users["student"], role=Role.CURATOR, motivation="fuzz")
    headers = {visitor: {"Authorization": f"Token {Token.objects.create(user=users[visitor]).key}"} for visitor in users}
    headers["anonymous"] = {}
    return headers


def _known_path_values() -> tuple[list[int], list[str]]:
    """Small primary keys, and the values of every slug or unique text field in the database (a few per
    field): what path parameters like `{id}`, `{slug}` or `{label}` name in any app."""
    texts: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, SlugField) or (isinstance(field, CharField) and field.unique):
                texts.update(str(value) for value in model._default_manager.values_list(field.name, flat=True)[:5])
    return list(range(1, 8)), sorted(texts)


def _cases(operation: Any) -> st.SearchStrategy[Any]:
    """Generated requests (valid and invalid per the schema), and valid ones aimed at existing objects."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = [parameter.name for parameter in operation.path_parameters]
    if names:
        ints, texts = _known_path_values()
        pools = {
            name: st.sampled_from(ints) if name in {"id", "pk"} or name.endswith("_id") else st.sampled_from(texts or ["x"])
            for name in names
        }
        strategies.append(
            st.fixed_dictionaries(pools).flatmap(
                lambda values: operation.as_strategy(GenerationMode.POSITIVE, path_parameters=values)
            )
        )
    return st.one_of(*strategies)


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda value: str(value))
def test_operation_survives_generated_requests(method, path, api_schema, tokens):
    operation = api_schema[path][method]
    cases = _cases(operation)

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, visitor=st.sampled_from(sorted(VISITOR_ROLES)))
    def fuzz(case, visitor):
        case.call_and_validate(headers=tokens[visitor], checks=CHECKS)

    fuzz()


# Stateful: sequences of calls where a later call uses what an earlier one returned (ids, slugs), along the
# links schemathesis infers from the schema. Per visitor that can create things.
@pytest.mark.parametrize("visitor", ["student", "instructor", "administrator"])
def test_stateful_sequences_follow_the_links(visitor, api_schema, tokens):
    machine = api_schema.as_state_machine()
    assert api_schema.statistic.transitions.total > 0, "schemathesis inferred no links between operations"

    class Sequences(machine):
        # Each scenario starts from the same world: a savepoint rolled back at its end (what one scenario
        # created must not change what the next one draws, or Hypothesis cannot replay it).
        def setup(self):
            self._savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self._savepoint)

        def get_call_kwargs(self, case):
            return {"headers": tokens[visitor]}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=tokens[visitor])

    Sequences.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
