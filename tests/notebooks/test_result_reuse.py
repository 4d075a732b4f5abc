"""Reusing identical results: a deterministic notebook, the same version, parameters and kernel environment
answer at once with the earlier result ("same result as run N"); anything different executes."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import AuditLogEntry, Role
from notebooks import result_cache
from notebooks.models import Run
from notebooks.services import run_enqueue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deterministic(nb):
    notebook = nb("short")
    version = notebook.current_version
    version.metadata = {**version.metadata, "deterministic": True}
    version.save(update_fields=["metadata"])
    return notebook


@pytest.fixture
def executions(monkeypatch):
    """How many runs reached the executor."""
    from notebooks.engine import executor

    calls: list[int] = []
    original = executor.execute_run

    def counting(run_id: int, attempt: int, **options: Any) -> str:
        calls.append(run_id)
        return original(run_id, attempt, **options)

    monkeypatch.setattr(executor, "execute_run", counting)
    return calls


def _start(notebook, owner, *, steps=4, reuse=True) -> Run:
    run = run_enqueue(actor=owner, notebook=notebook, parameters={"steps": steps}, reuse=reuse)
    run.refresh_from_db()
    return run


def test_the_same_parameters_again_reuse_the_result_at_once(deterministic, make_user, executions):
    student, other = make_user(Role.STUDENT), make_user(Role.STUDENT)
    first = _start(deterministic, student)
    assert first.status == Run.Status.SUCCEEDED and len(first.result_key) == 64

    again = _start(deterministic, other)

    assert executions == [first.pk], "the second run never reached a runner"
    assert again.status == Run.Status.SUCCEEDED and again.reused_from_id == first.pk
    assert again.owner == other and again.parameters == first.parameters
    assert again.metrics == first.metrics and again.metrics
    assert again.output_html.name == first.output_html.name and again.output_html.read()
    entry = AuditLogEntry.objects.get(action="run.reuse")
    assert entry.after["same_result_as"] == first.pk


def test_other_parameters_a_fresh_request_or_another_environment_execute(deterministic, make_user, executions, monkeypatch):
    student = make_user(Role.STUDENT)
    first = _start(deterministic, student, steps=4)

    other_parameters = _start(deterministic, student, steps=5)
    fresh = _start(deterministic, student, steps=4, reuse=False)
    monkeypatch.setattr(result_cache, "live_locks", lambda queue: {"another-kernel-environment"})
    upgraded = _start(deterministic, student, steps=4)

    assert executions == [first.pk, other_parameters.pk, fresh.pk, upgraded.pk]
    assert all(run.reused_from_id is None and run.status == Run.Status.SUCCEEDED for run in (other_parameters, fresh, upgraded))


def test_a_notebook_not_marked_deterministic_is_never_reused(nb, make_user, executions):
    student = make_user(Role.STUDENT)
    first = _start(nb("short"), student)
    second = _start(nb("short"), student)

    assert first.result_key == "" and second.reused_from_id is None
    assert executions == [first.pk, second.pk]


def test_the_api_reuses_unless_asked_fresh_and_the_page_links_the_earlier_run(api, client, deterministic, make_user):
    student = make_user(Role.STUDENT)
    first = api(student).post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 2}}, format="json").json()
    reused = api(student).post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 2}}, format="json").json()
    fresh = (
        api(student).post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 2}, "fresh": True}, format="json").json()
    )

    assert first["reused_from"] is None and reused["reused_from"] == first["id"] and fresh["reused_from"] is None
    assert reused["status"] == "succeeded" and reused["metrics"] == first["metrics"]

    client.force_login(student)
    page = client.get(f"/runs/{reused['id']}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/runs/{first["id"]}/"' in page and "Same result as" in page
    assert "data-reused-timings" in page and "data-phases" not in page, "a reused result shows no time of its own"
