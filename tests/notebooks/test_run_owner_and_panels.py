"""run_enqueue(owner=...): a run started for someone else is theirs, logged with the actor; the notebook
page shows the domains' panels and survives a failing one."""

from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry, Role
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


def test_a_failing_panel_is_left_out(nb, client, settings):
    settings.NOTEBOOK_DETAIL_PANELS = ["builtins.len", "courses.views.notebook_panel"]
    nb("short")
    response = client.get("/notebooks/short/")
    assert response.status_code == 200
    assert "data-course-panel" in response.content.decode()
