"""The runs API: validation before anything is queued, visibility, cancel, dispatch when the broker is down."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from accounts.models import AuditLogEntry, Role
from notebooks.models import Run
from notebooks.services import runs_redispatch
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs/"


@pytest.fixture
def sent(monkeypatch):
    """Records dispatches instead of executing them (unit tests; tests/integration uses a real worker)."""
    messages = []
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: messages.append((args, options)))
    return messages


def _submit(client, notebook="short", parameters=None, **extra):
    return client.post(RUNS, {"notebook": notebook, "parameters": parameters or {}, **extra}, format="json")


def test_a_valid_submission_is_queued_with_every_parameter_recorded(
    catalogue, make_user, api, sent, django_capture_on_commit_callbacks
):
    student = make_user(Role.STUDENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(api(student), parameters={"steps": 7})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["parameters"] == {"device": "auto", "steps": 7}
    assert body["version"] == Run.objects.get().version.sha256
    assert body["dispatched"] is False  # serialised before the message went out
    assert sent[0][0] == (body["id"], 1)
    assert sent[0][1]["queue"] == "notebooks-cpu"
    assert Run.objects.get().dispatched_at is not None
    assert AuditLogEntry.objects.filter(action="run.enqueue").count() == 1


@pytest.mark.parametrize(
    ("parameters", "field", "words"),
    [
        ({"stepz": 3}, "stepz", "Unknown parameter"),
        ({"steps": "three"}, "steps", "integer"),
        ({"steps": 2.5}, "steps", "integer"),
        ({"steps": True}, "steps", "integer"),
        ({"steps": 11}, "steps", "at most 10"),
        ({"steps": 0}, "steps", "at least 1"),
        ({"device": "tpu"}, "device", "one of auto, cpu, cuda"),
        ({"device": 3}, "device", "text"),
    ],
)
def test_bad_parameters_are_a_400_naming_them_and_nothing_is_queued(catalogue, make_user, api, sent, parameters, field, words):
    response = _submit(api(make_user(Role.STUDENT)), parameters=parameters)

    error = assert_error(response, 400, "invalid_parameters")
    assert field in error["fields"]
    assert words in " ".join(error["fields"][field])
    assert Run.objects.count() == 0
    assert sent == []


def test_parameters_must_be_an_object(catalogue, make_user, api, sent):
    assert_error(_submit(api(make_user(Role.STUDENT)), parameters=[1, 2]), 400)
    assert Run.objects.count() == 0


def test_not_json_is_a_400(catalogue, make_user, api):
    response = api(make_user(Role.STUDENT)).post(RUNS, data="{nope", content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_unknown_notebook_is_a_404_and_wrong_queue_a_400(catalogue, make_user, api, sent):
    client = api(make_user(Role.STUDENT))

    assert_error(_submit(client, notebook="no-such-notebook"), 404)
    assert_error(_submit(client, queue="tpu"), 400)


def test_a_user_without_any_role_cannot_run(catalogue, make_user, api, sent):
    assert_error(_submit(api(make_user())), 403, "no_role")


def test_anonymous_cannot_submit(catalogue, api):
    assert_error(_submit(api(None)), 401)


def test_too_many_active_runs_is_a_409(catalogue, make_user, api, sent, settings):
    settings.NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER = 2
    client = api(make_user(Role.STUDENT))
    _submit(client)
    _submit(client)

    assert_error(_submit(client), 409, "too_many_active_runs")
    assert Run.objects.count() == 2


def test_someone_elses_run_is_not_found_and_not_listed(catalogue, make_user, api, sent):
    alice, bob = make_user(Role.STUDENT), make_user(Role.STUDENT)
    run_id = _submit(api(alice)).json()["id"]

    assert_error(api(bob).get(f"{RUNS}{run_id}/"), 404)
    assert_error(api(bob).post(f"{RUNS}{run_id}/cancel/"), 404)
    assert api(bob).get(RUNS).json()["results"] == []
    assert [row["id"] for row in api(alice).get(RUNS).json()["results"]] == [run_id]


def test_administrators_see_every_run(catalogue, make_user, api, sent):
    run_id = _submit(api(make_user(Role.STUDENT))).json()["id"]

    assert api(make_user(Role.ADMINISTRATOR)).get(f"{RUNS}{run_id}/").status_code == 200


def test_cancelling_a_queued_run_ends_it_and_a_second_cancel_is_a_409(catalogue, make_user, api, sent):
    client = api(make_user(Role.STUDENT))
    run_id = _submit(client).json()["id"]

    cancelled = client.post(f"{RUNS}{run_id}/cancel/")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert_error(client.post(f"{RUNS}{run_id}/cancel/"), 409, "run_ended")


def test_the_run_resource_has_the_fields_tools_rely_on(catalogue, make_user, api, sent):
    client = api(make_user(Role.STUDENT))
    run_id = _submit(client).json()["id"]

    body = client.get(f"{RUNS}{run_id}/").json()

    for name in (
        "status",
        "cells_done",
        "cells_total",
        "metrics",
        "error",
        "runner",
        "started_at",
        "finished_at",
        "queue_position",
    ):
        assert name in body
    assert body["queue_position"] == 1


def test_broker_down_at_submit_loses_nothing(catalogue, make_user, api, monkeypatch, django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(api(make_user(Role.STUDENT)))

    assert response.status_code == 201
    run = Run.objects.get()
    assert (run.status, run.dispatched_at) == (Run.Status.QUEUED, None)

    sent = []
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: sent.append(args))
    Run.objects.filter(pk=run.pk).update(created_at=run.created_at.replace(year=run.created_at.year - 1))
    assert runs_redispatch() == [run.pk]
    assert sent == [(run.pk, 1)]
    run.refresh_from_db()
    assert run.dispatched_at is not None


def test_the_catalogue_lists_notebooks_with_typed_parameters(catalogue, api):
    listing = api(None).get("/api/v1/notebooks/").json()["results"]
    detail = api(None).get("/api/v1/notebooks/short/").json()

    assert "short" in {row["slug"] for row in listing}
    assert {p["name"]: p["type"] for p in detail["parameters"]} == {"device": "str", "steps": "int"}
    steps = next(p for p in detail["parameters"] if p["name"] == "steps")
    assert (steps["default"], steps["min"], steps["max"]) == (3, 1, 10)


def test_the_run_list_query_count_does_not_grow_with_rows(catalogue, make_user, api, sent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(make_user(Role.STUDENT))
    _submit(client)
    with CaptureQueriesContext(connection) as one_row:
        first = client.get(RUNS).json()["results"]
    for _ in range(4):
        _submit(client)

    with CaptureQueriesContext(connection) as five_rows:
        listed = client.get(RUNS).json()["results"]

    assert len(first) == 1
    assert len(five_rows.captured_queries) == len(one_row.captured_queries)
    assert sorted(row["queue_position"] for row in listed) == [1, 2, 3, 4, 5]


def test_a_student_may_not_ask_for_more_than_the_student_maxima(catalogue, make_user, api, sent, settings):
    settings.NOTEBOOK_STUDENT_MAX_TIMEOUT = 900
    settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB = 4096
    student = make_user(Role.STUDENT)

    too_long = _submit(api(student), timeout_seconds=3600)
    too_big = _submit(api(student), memory_limit_mb=16384)

    assert "Between 10 and 900 seconds." in assert_error(too_long, 400)["fields"]["timeout_seconds"][0]
    assert "Between 256 and 4096 MB." in assert_error(too_big, 400)["fields"]["memory_limit_mb"][0]
    assert Run.objects.count() == 0
    # within the student maxima the run is queued; an instructor may ask for the portal maxima
    assert _submit(api(student), timeout_seconds=900, memory_limit_mb=4096).status_code == 201
    instructor = make_user(Role.INSTRUCTOR)
    assert _submit(api(instructor), timeout_seconds=3600, memory_limit_mb=16384).status_code == 201
