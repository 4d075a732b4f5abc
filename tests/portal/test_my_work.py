"""After signing in a person lands on "My work", which lists what waits for each of their roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from courses.models import Submission
from governance.services.sponsorship import quarter_open
from notebooks.models import Run
from tests.courses import factories
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _run(assignment, student, status):
    run = Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512, status=status,
    )  # fmt: skip
    return Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student, late=True)


def test_signing_in_lands_on_my_work(client, make_user):
    user = make_user(Role.STUDENT, username="lands")
    user.set_password("a long password 1")
    user.save()

    response = client.post("/accounts/login/", {"username": "lands", "password": "a long password 1"})

    assert response.status_code == 302 and response["Location"] == "/me/"


def test_a_student_sees_their_assignments_with_due_dates_and_last_run(client, catalogue, make_user):
    course = factories.course(make_user)
    due = timezone.now() + timedelta(days=3)
    soon = factories.assignment(course, due_at=due)
    later = factories.assignment(course, "reads-data")
    student = factories.student_in(course, make_user)
    submission = _run(soon, student, Run.Status.FAILED)
    client.force_login(student)

    html = client.get("/me/").content.decode()

    section = html[html.index('data-section="student"') :]
    assert soon.title in section and later.title in section
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in section
    assert f"#{submission.run.pk}</a> Failed" in section
    assert "not run yet" in section  # the other assignment


def test_an_instructor_sees_courses_failing_runs_and_late_students(client, catalogue, make_user):
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    failing = _run(assignment, student, Run.Status.FAILED)
    client.force_login(factories.instructor_of(course))

    html = client.get("/me/").content.decode()

    section = html[html.index('data-section="instructor"') :]
    assert course.title in section and "1 failing run" in section and f"#{failing.run.pk}" in section
    assert "1 late student" in section


def test_a_steward_sees_the_open_quarter_pending_values_and_expiring_certifications(client, make_user):
    steward = make_user(Role.STEWARD)
    model = register(make_user(Role.CURATOR), "expiring-soon")
    certify(model.current_version, at=timezone.now() - timedelta(days=170))
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=50_000_000, currency="CNY")
    client.force_login(steward)

    html = client.get("/me/").content.decode()

    section = html[html.index('data-section="sponsorship"') :]
    assert "2026Q4" in section and "¥500,000.00" in section
    assert "1 certification expires within 30 days" in section and "expiring-soon" in section


def test_my_work_query_count_does_not_grow_with_assignments(client, catalogue, make_user):
    course = factories.course(make_user)
    student = factories.student_in(course, make_user)
    for _ in range(2):
        _run(factories.assignment(course), student, Run.Status.SUCCEEDED)
    client.force_login(student)
    with CaptureQueriesContext(connection) as few:
        client.get("/me/")
    for _ in range(8):
        _run(factories.assignment(course), student, Run.Status.SUCCEEDED)
    with CaptureQueriesContext(connection) as many:
        client.get("/me/")

    assert len(many.captured_queries) == len(few.captured_queries)
