"""Run limits by role: instructors set a course's and an assignment's limits under the portal's student
maxima; a student's run gets the tightest of the three, and asking for more is a 400 naming the field."""

from __future__ import annotations

import pytest

from accounts.errors import ApplicationError
from accounts.models import AuditLogEntry
from courses import selectors, services
from courses.models import Course
from notebooks.models import Run
from tests.conftest import assert_error, audit_actions
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portal_maxima(settings, monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    settings.NOTEBOOK_STUDENT_MAX_TIMEOUT = 900
    settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB = 4096
    settings.NOTEBOOK_MAX_TIMEOUT = 3600
    settings.NOTEBOOK_MAX_MEMORY_MB = 16384


@pytest.fixture
def course(catalogue, make_user):
    return factories.course(make_user)


@pytest.fixture
def api(api):
    def english(user):
        client = api(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return english


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_an_instructor_sets_course_limits_under_the_portal_maxima_and_it_is_logged(course):
    instructor = factories.instructor_of(course)

    services.course_limits_set(actor=instructor, course=course, run_timeout_seconds=300, run_memory_mb=1024)

    course.refresh_from_db()
    assert (course.run_timeout_seconds, course.run_memory_mb) == (300, 1024)
    entry = AuditLogEntry.objects.get(action="course.limits_set")
    assert entry.before == {"run_timeout_seconds": None, "run_memory_mb": None, "runs_at_once": None}
    assert entry.after == {"run_timeout_seconds": 300, "run_memory_mb": 1024, "runs_at_once": None}


def test_asking_above_the_portal_maximum_names_the_field_and_the_maximum_and_stores_nothing(course, api):
    instructor = factories.instructor_of(course)

    response = api(instructor).put(
        f"/api/v1/courses/{course.pk}/limits/", {"run_timeout_seconds": 3600, "run_memory_mb": 16384}, format="json"
    )

    error = assert_error(response, 400, "limit_out_of_range")
    assert "900" in error["fields"]["run_timeout_seconds"][0] and "maximum" in error["fields"]["run_timeout_seconds"][0]
    assert "4096" in error["fields"]["run_memory_mb"][0]
    course.refresh_from_db()
    assert (course.run_timeout_seconds, course.run_memory_mb) == (None, None)
    assert "course.limits_set" not in audit_actions()
    # the partner: within the maxima the API stores them and reports what applies
    ok = api(instructor).put(
        f"/api/v1/courses/{course.pk}/limits/", {"run_timeout_seconds": 600, "run_memory_mb": None}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["effective"] == {
        "timeout_seconds": 600,
        "memory_mb": 4096,
        "timeout_set_by": "course",
        "memory_set_by": "portal",
    }


def test_the_limits_form_shows_the_error_on_its_field(course, client):
    client.force_login(factories.instructor_of(course))

    response = client.post(f"/courses/{course.pk}/limits/", {"run_timeout_seconds": "5000", "run_memory_mb": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Between 10 and 900 seconds: 900 is the portal&#x27;s maximum for a student&#x27;s run." in page
    assert Course.objects.get(pk=course.pk).run_timeout_seconds is None
    # ... and in the reader's language
    chinese = client.post(
        f"/courses/{course.pk}/limits/", {"run_timeout_seconds": "5000"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "10 到 900 秒：900 秒是门户对学生一次运行的最大值。" in chinese


def test_students_and_other_instructors_cannot_set_limits(course, make_user, api):
    student = factories.student_in(course, make_user)

    with pytest.raises(ApplicationError) as refused:
        services.course_limits_set(actor=student, course=course, run_timeout_seconds=60, run_memory_mb=None)

    assert refused.value.status == 403
    assert api(student).put(f"/api/v1/courses/{course.pk}/limits/", {}, format="json").status_code == 403
    assert Course.objects.get(pk=course.pk).run_timeout_seconds is None


def test_a_student_run_gets_the_tightest_of_assignment_course_and_portal(course, make_user):
    course.run_timeout_seconds, course.run_memory_mb = 300, 1024
    course.save()
    assignment = factories.assignment(course, run_timeout_seconds=120, run_memory_mb=2048)

    limits = selectors.assignment_run_limits(assignment)
    run = services.assignment_run_start(actor=factories.student_in(course, make_user), assignment=assignment, parameters={}).run

    assert (limits.timeout_seconds, limits.timeout_set_by) == (120, "assignment")
    assert (limits.memory_mb, limits.memory_set_by) == (1024, "course")
    assert (run.timeout_seconds, run.memory_limit_mb) == (120, 1024)


def test_a_student_asking_above_the_course_limit_is_refused_naming_the_parameter(course, make_user, api):
    course.run_timeout_seconds, course.run_memory_mb = 300, 1024
    course.save()
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    runs = f"/api/v1/assignments/{assignment.pk}/runs/"

    too_long = api(student).post(runs, {"timeout_seconds": 600}, format="json")
    too_big = api(student).post(runs, {"memory_limit_mb": 2048}, format="json")

    assert "At most 300 seconds" in assert_error(too_long, 400, "limit_exceeded")["fields"]["timeout_seconds"][0]
    assert "At most 1024 MB" in assert_error(too_big, 400, "limit_exceeded")["fields"]["memory_limit_mb"][0]
    assert Run.objects.count() == 0
    # within the limits the run is queued with what was asked
    within = api(student).post(runs, {"timeout_seconds": 200, "memory_limit_mb": 512}, format="json")
    assert within.status_code == 201, within.content
    assert within.json()["run"]["timeout_seconds"] == 200 and within.json()["run"]["memory_limit_mb"] == 512


def test_an_assignment_limit_above_the_portal_maximum_is_refused_on_the_settings_api(course, api):
    assignment = factories.assignment(course)
    instructor = factories.instructor_of(course)
    url = f"/api/v1/assignments/{assignment.pk}/settings/"

    refused = api(instructor).put(url, {"run_timeout_seconds": 901, "run_memory_mb": None}, format="json")
    accepted = api(instructor).put(url, {"run_timeout_seconds": 60, "run_memory_mb": 512, "grade_metric": "steps"}, format="json")

    assert "900" in assert_error(refused, 400)["fields"]["run_timeout_seconds"][0]
    assert accepted.status_code == 200
    assert accepted.json()["effective"]["timeout_seconds"] == 60 and accepted.json()["grade_metric"] == "steps"
    assert audit_actions().count("assignment.settings_set") == 1


def test_the_run_form_tells_students_the_limits_that_apply(course, make_user, client):
    course.run_timeout_seconds = 300
    course.save()
    assignment = factories.assignment(course, run_memory_mb=768)
    client.force_login(factories.student_in(course, make_user))

    page = client.get(f"/courses/assignments/{assignment.pk}/").content.decode()

    limits = page[page.index("data-run-limits") :]
    assert "at most 300 s and 768 MB" in limits[:300]
    assert "time: set for this course" in limits[:600] and "memory: set for this assignment" in limits[:600]


def test_an_instructor_rerun_stays_within_the_limits_that_apply_now(course, make_user):
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    first = services.assignment_run_start(actor=student, assignment=assignment, parameters={}, timeout_seconds=800)
    course.run_timeout_seconds = 100
    course.save()

    again = services.assignment_rerun(actor=factories.instructor_of(course), submission=first)

    assert first.run.timeout_seconds == 800
    assert again.run.timeout_seconds == 100


def test_the_assignment_settings_form_saves_within_the_maxima_and_names_the_field_above(course, client, make_user):
    assignment = factories.assignment(course)
    client.force_login(factories.instructor_of(course))
    url = f"/courses/assignments/{assignment.pk}/settings/"

    refused = client.post(url, {"grade_metric": "", "run_timeout_seconds": "", "run_memory_mb": "8192"})
    saved = client.post(url, {"grade_metric": "", "run_timeout_seconds": "45", "run_memory_mb": ""})

    assert refused.status_code == 400
    assert "Between 256 and 4096 MB: 4096 is the portal&#x27;s maximum" in refused.content.decode()
    assert saved.status_code == 302 and saved["Location"] == f"/courses/assignments/{assignment.pk}/grades/"
    assignment.refresh_from_db()
    assert (assignment.run_timeout_seconds, assignment.run_memory_mb) == (45, None)
    assert audit_actions().count("assignment.settings_set") == 1
