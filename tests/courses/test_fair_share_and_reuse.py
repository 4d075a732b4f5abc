"""A course's place in fair dispatch and its opt-in to reused results: the course's runs are counted in
its own share with the cap its instructors set; an assignment that reuses identical results answers a
repeated deterministic run at once, unless the student asks for a fresh one."""

from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry
from courses import services
from notebooks.models import Run
from tests.conftest import assert_error
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(catalogue, make_user):
    return factories.course(make_user)


def test_a_course_run_is_served_in_its_course_share_under_the_cap_its_instructors_set(course, make_user, settings):
    settings.NOTEBOOK_COURSE_MAX_RUNS_AT_ONCE = 0
    instructor = factories.instructor_of(course)
    services.course_limits_set(actor=instructor, course=course, run_timeout_seconds=None, run_memory_mb=None, runs_at_once=3)
    course.refresh_from_db()
    assignment = factories.assignment(course)

    run = services.assignment_run_start(actor=factories.student_in(course, make_user), assignment=assignment, parameters={}).run

    assert (run.share, run.share_cap) == (f"course:{course.pk}", 3)
    assert AuditLogEntry.objects.get(action="course.limits_set").after["runs_at_once"] == 3


def test_without_a_course_cap_the_portal_setting_applies(course, make_user, settings):
    settings.NOTEBOOK_COURSE_MAX_RUNS_AT_ONCE = 7
    run = services.assignment_run_start(
        actor=factories.student_in(course, make_user), assignment=factories.assignment(course), parameters={}
    ).run

    assert run.share_cap == 7


def test_a_cap_out_of_range_is_a_400_naming_it_and_nothing_changes(course, api):
    instructor = factories.instructor_of(course)
    response = api(instructor).put(
        f"/api/v1/courses/{course.pk}/limits/",
        {"run_timeout_seconds": None, "run_memory_mb": None, "runs_at_once": 0},
        format="json",
    )

    assert "runs_at_once" in assert_error(response, 400)["fields"]
    course.refresh_from_db()
    assert course.runs_at_once is None

    saved = api(instructor).put(
        f"/api/v1/courses/{course.pk}/limits/",
        {"run_timeout_seconds": None, "run_memory_mb": None, "runs_at_once": 4},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["runs_at_once"] == 4


@pytest.mark.django_db(transaction=True)
def test_an_assignment_that_reuses_results_answers_a_repeat_at_once_unless_asked_fresh(course, make_user, api):
    assignment = factories.assignment(course)
    version = assignment.version
    version.metadata = {**version.metadata, "deterministic": True}
    version.save(update_fields=["metadata"])
    instructor = factories.instructor_of(course)
    settings_body = {"grade_metric": "", "run_timeout_seconds": None, "run_memory_mb": None, "reuse_results": True}
    assert api(instructor).put(f"/api/v1/assignments/{assignment.pk}/settings/", settings_body, format="json").status_code == 200
    assignment.refresh_from_db()
    assert assignment.reuse_results
    student = factories.student_in(course, make_user)

    first = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 2}).run
    first.refresh_from_db()
    repeat = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 2}).run
    fresh = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 2}, fresh=True).run
    fresh.refresh_from_db()

    assert first.status == Run.Status.SUCCEEDED and first.reused_from_id is None
    assert repeat.status == Run.Status.SUCCEEDED and repeat.reused_from_id == first.pk
    assert fresh.reused_from_id is None and fresh.status == Run.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_an_assignment_that_does_not_opt_in_always_executes(course, make_user):
    assignment = factories.assignment(course)
    version = assignment.version
    version.metadata = {**version.metadata, "deterministic": True}
    version.save(update_fields=["metadata"])
    student = factories.student_in(course, make_user)

    runs = [services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 2}).run for _ in range(2)]

    assert [run.reused_from_id for run in runs] == [None, None]
