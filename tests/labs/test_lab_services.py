"""Copying a notebook into a lab and submitting it back, against a stand-in for the Hub (the real one:
test_lab_flow.py): bad input is a clear 4xx and creates nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts.errors import ApplicationError, NotAllowed, TooLarge, WrongState
from accounts.models import Role
from courses.models import Submission
from labs import services
from labs.diff import cell_changes
from labs.hub_client import HubUnavailable, LabServer
from labs.selectors import course_running_labs
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db


class FakeHub:
    """Keeps each user's workspace in memory, as the Jupyter server's contents API would."""

    configured = True

    def __init__(self, down: bool = False) -> None:
        self.files: dict[tuple[str, str], dict[str, Any]] = {}
        self.started: list[str] = []
        self.down = down

    def ensure_server(self, name: str) -> None:
        if self.down:
            raise HubUnavailable("JupyterHub cannot be reached: ConnectionError.")
        self.started.append(name)

    def get_notebook(self, name: str, path: str) -> dict[str, Any] | None:
        return self.files.get((name, path))

    def put_notebook(self, name: str, path: str, notebook: dict[str, Any]) -> None:
        self.files[(name, path)] = notebook

    def lab_url(self, name: str, path: str) -> str:
        return f"http://hub.test/user/{name}/lab/tree/{path}"

    def servers(self) -> dict[str, LabServer]:
        if self.down:
            raise HubUnavailable("down")
        return {name: LabServer(name, None, None, True) for name in self.started}


@pytest.fixture
def setup(catalogue, make_user, monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    return course, assignment, student


def test_opening_copies_the_pinned_version_once_and_never_overwrites_the_students_edits(setup):
    _course, assignment, student = setup
    hub = FakeHub()
    url = services.lab_open_assignment(actor=student, assignment=assignment, client=hub)
    path = services.assignment_lab_path(assignment)
    assert url == f"http://hub.test/user/{student.username}/lab/tree/{path}" and path.startswith("assignments/")
    copy = hub.files[(student.username, path)]
    assert copy["metadata"]["go3s"] == {"version": assignment.version.sha256, "assignment": assignment.pk}
    copy["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    services.lab_open_assignment(actor=student, assignment=assignment, client=hub)
    assert hub.files[(student.username, path)]["cells"][-1]["source"] == "my notes"


def test_a_stranger_to_the_course_or_a_person_without_a_lab_role_is_refused(setup, make_user, nb):
    _course, assignment, _student = setup
    hub = FakeHub()
    with pytest.raises(NotAllowed):
        services.lab_open_assignment(actor=make_user(Role.STUDENT), assignment=assignment, client=hub)
    with pytest.raises(NotAllowed):
        services.lab_open_notebook(actor=make_user(Role.AUDITOR), notebook=nb("short"), client=hub)
    assert hub.files == {} and hub.started == []
    assert services.lab_open_notebook(actor=make_user(Role.STUDENT), notebook=nb("short"), client=hub).endswith(
        "course/short.ipynb"
    )


def _edited(assignment, change) -> dict[str, Any]:
    document = json.loads(assignment.version.source)
    change(document)
    return document


def test_submitting_runs_the_students_notebook_as_an_assignment_run_with_its_changes(setup):
    _course, assignment, student = setup
    hub = FakeHub()
    path = services.assignment_lab_path(assignment)

    def edit(document):
        document["cells"][-2]["source"] = "total = sum(range(steps)) * 2\nprint('doubled', total)"
        document["cells"][-2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 100}]

    hub.files[(student.username, path)] = _edited(assignment, edit)
    submission = services.lab_submit(actor=student, assignment=assignment, client=hub)
    run = submission.run
    assert run.status == Run.Status.QUEUED and run.version == assignment.version and run.owner == student
    assert "doubled" in run.input_source and '"x' not in run.input_source  # outputs cleared before storing
    changes = cell_changes(assignment.version.source, run.input_source)
    assert [(change.kind, change.number) for change in changes] == [("changed", 3)]
    assert "+print('doubled', total)" in changes[0].lines and "-print('total', total)" in changes[0].lines


@pytest.mark.parametrize(
    ("content", "error", "code"),
    [
        (None, WrongState, "lab_notebook_missing"),
        ({"nbformat": 4, "cells": "not a list"}, ApplicationError, "invalid_notebook"),
        ("huge", TooLarge, "too_large"),
    ],
)
def test_a_missing_invalid_or_oversized_lab_notebook_is_refused_and_nothing_is_created(setup, settings, content, error, code):
    _course, assignment, student = setup
    hub = FakeHub()
    if content == "huge":
        settings.NOTEBOOK_UPLOAD_MAX_BYTES = 1024
        content = _edited(
            assignment, lambda document: document["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "y" * 5000})
        )
    if content is not None:
        hub.files[(student.username, services.assignment_lab_path(assignment))] = content
    with pytest.raises(error) as raised:
        services.lab_submit(actor=student, assignment=assignment, client=hub)
    assert raised.value.code == code
    assert not Submission.objects.exists() and not Run.objects.exists()


def test_an_instructor_cannot_submit_and_a_hub_that_is_down_fails_softly(setup):
    course, assignment, student = setup
    with pytest.raises(NotAllowed):
        services.lab_submit(actor=factories.instructor_of(course), assignment=assignment, client=FakeHub())
    with pytest.raises(HubUnavailable) as down:
        services.lab_submit(actor=student, assignment=assignment, client=FakeHub(down=True))
    assert down.value.status == 503 and not Submission.objects.exists()
    assert course_running_labs(course, client=FakeHub(down=True)) is None
    up = FakeHub()
    up.started.append(student.username)
    assert [lab.enrolment.user for lab in course_running_labs(course, client=up)] == [student]


def test_the_course_page_shows_who_has_a_lab_running_and_says_so_when_the_hub_is_down(setup, settings, browser_client):
    course, _assignment, student = setup
    settings.HUB_URL, settings.HUB_API_TOKEN = "http://127.0.0.1:9", "token"  # nothing listens there
    page = browser_client(factories.instructor_of(course)).get(f"/courses/{course.pk}/")
    assert page.status_code == 200 and b"data-labs-unavailable" in page.content
    seen = browser_client(student).get(f"/courses/{course.pk}/")
    assert seen.status_code == 200 and b"data-labs-unavailable" not in seen.content  # for those who oversee it only
