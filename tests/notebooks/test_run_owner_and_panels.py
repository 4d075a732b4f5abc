"""run_enqueue(owner=...): a run started for someone else is theirs, logged with the actor; the notebook
page shows the domains' panels and survives a failing one."""

from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry, Role
from notebooks.contract import hooks_replaced, registered
from notebooks.services import run_enqueue

pytestmark = pytest.mark.django_db


def test_a_run_enqueued_for_an_owner_belongs_to_them_and_logs_the_actor(nb, make_user, monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    actor, owner = make_user(Role.INSTRUCTOR), make_user(Role.STUDENT)

    run = run_enqueue(actor=actor, owner=owner, notebook=nb("short"), parameters={"steps": 2})

    assert run.owner == owner
    entry = AuditLogEntry.objects.get(action="run.enqueue")
    assert entry.actor == actor and entry.after["owner"] == owner.pk
    assert run_enqueue(actor=owner, notebook=nb("short"), parameters={}).owner == owner


def broken_panel(request, notebook):
    raise RuntimeError("a domain panel that breaks")


def test_a_failing_panel_is_left_out(nb, client):
    nb("short")
    with hooks_replaced(notebook_panel=[broken_panel, *registered("notebook_panel")]):
        response = client.get("/notebooks/short/")
    assert response.status_code == 200
    assert "data-course-panel" in response.content.decode()
