"""Assignments: pinned versions, validated defaults, student runs within quota, late marks, re-runs on
behalf of a student, and who sees which runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError, NotAllowed, NotFound, WrongState
from accounts.models import AuditLogEntry, Role
from courses import selectors, services
from courses.models import Submission
from notebooks.models import Run
from notebooks.selectors import run_get_for_user, run_list_for_user
from tests.conftest import audit_actions
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_execution(monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)


@pytest.fixture
def course(catalogue, make_user):
    return factories.course(make_user)


def test_an_assignment_pins_the_current_version_and_validates_its_defaults(course, nb):
    instructor = factories.instructor_of(course)
    notebook = nb("short")

    assignment = services.assignment_create(
        actor=instructor, course=course, notebook=notebook, default_parameters={"steps": 7}, run_quota=2
    )
    assert assignment.version == notebook.current_version
    assert assignment.default_parameters == {"device": "auto", "steps": 7}

    with pytest.raises(ApplicationError) as error:
        services.assignment_create(actor=instructor, course=course, notebook=notebook, default_parameters={"steps": 99})
    assert "steps" in error.value.fields
    with pytest.raises(ApplicationError) as error:
        services.assignment_create(actor=instructor, course=course, notebook=notebook, queue="tpu")
    assert "queue" in error.value.fields


def test_students_run_with_their_own_parameters_over_the_defaults_within_the_quota(course, make_user):
    assignment = factories.assignment(course, default_parameters={"steps": 4, "device": "cpu"}, run_quota=2)
    student = factories.student_in(course, make_user)

    first = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 6})
    second = services.assignment_run_start(actor=student, assignment=assignment, parameters={})

    assert first.run.parameters == {"steps": 6, "device": "cpu"}
    assert second.run.parameters == {"steps": 4, "device": "cpu"}
    assert first.run.owner == student and first.run.version == assignment.version and first.run.queue == "cpu"
    with pytest.raises(WrongState) as used:
        services.assignment_run_start(actor=student, assignment=assignment, parameters={})
    assert used.value.code == "run_quota_used"
    with pytest.raises(ApplicationError):
        services.assignment_run_start(
            actor=factories.student_in(course, make_user), assignment=assignment, parameters={"steps": 0}
        )
    assert Submission.objects.count() == 2


def test_a_run_after_the_due_date_is_marked_late(course, make_user):
    student = factories.student_in(course, make_user)
    on_time = factories.assignment(course, due_at=timezone.now() + timedelta(days=1))
    overdue = factories.assignment(course, due_at=timezone.now() - timedelta(minutes=1))

    assert services.assignment_run_start(actor=student, assignment=on_time, parameters={}).late is False
    assert services.assignment_run_start(actor=student, assignment=overdue, parameters={}).late is True


def test_only_students_of_the_course_start_runs(course, make_user):
    assignment = factories.assignment(course)
    for outsider in (factories.instructor_of(course), make_user(Role.STUDENT)):
        with pytest.raises(NotAllowed):
            services.assignment_run_start(actor=outsider, assignment=assignment, parameters={})
    assert "assignment.run.denied" in audit_actions()


def test_instructor_reruns_on_behalf_of_a_student_logged_as_the_instructor(course, make_user):
    assignment = factories.assignment(course, run_quota=1)
    student = factories.student_in(course, make_user)
    original = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 5})
    instructor = factories.instructor_of(course)

    again = services.assignment_rerun(actor=instructor, submission=original)

    assert again.run.owner == student and again.started_by == instructor
    assert again.run.parameters == original.run.parameters
    entry = AuditLogEntry.objects.get(action="assignment.rerun")
    assert entry.actor == instructor
    assert AuditLogEntry.objects.filter(action="run.enqueue", actor=instructor).exists()
    # The re-run does not use up the student's one run... which they already used themselves.
    with pytest.raises(WrongState):
        services.assignment_run_start(actor=student, assignment=assignment, parameters={})
    # An instructor of another course may not.
    with pytest.raises(NotAllowed):
        services.assignment_rerun(actor=factories.instructor_of(factories.course(make_user)), submission=original)


def test_run_pages_open_for_the_instructor_and_not_for_classmates_unless_shared(course, make_user):
    assignment = factories.assignment(course)
    alice, bob = factories.student_in(course, make_user), factories.student_in(course, make_user)
    run = services.assignment_run_start(actor=alice, assignment=assignment, parameters={}).run
    instructor = factories.instructor_of(course)
    other_instructor = factories.instructor_of(factories.course(make_user))

    assert run_get_for_user(instructor, run.pk) == run
    for outsider in (bob, other_instructor, make_user(Role.STUDENT)):
        with pytest.raises(NotFound):
            run_get_for_user(outsider, run.pk)
    assert run not in run_list_for_user(bob, mine_only=False)

    assignment.runs_shared = True
    assignment.save()
    assert run_get_for_user(bob, run.pk) == run
    with pytest.raises(NotFound):
        run_get_for_user(other_instructor, run.pk)


def test_the_assignment_page_lists_a_students_own_runs_only(course, make_user, client):
    assignment = factories.assignment(course)
    alice, bob = factories.student_in(course, make_user), factories.student_in(course, make_user)
    mine = services.assignment_run_start(actor=alice, assignment=assignment, parameters={"steps": 2}).run
    theirs = services.assignment_run_start(actor=bob, assignment=assignment, parameters={"steps": 3}).run

    client.force_login(alice)
    page = client.get(f"/courses/assignments/{assignment.pk}/").content.decode()
    assert f"/runs/{mine.pk}/" in page and f"/runs/{theirs.pk}/" not in page

    api = client.get(f"/api/v1/assignments/{assignment.pk}/runs/").json()["results"]
    assert [row["run"]["id"] for row in api] == [mine.pk]


def test_the_student_form_starts_a_run_and_redirects_to_its_live_page(course, make_user, client):
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    client.force_login(student)

    response = client.post(f"/courses/assignments/{assignment.pk}/", {"p_steps": "8", "p_device": "cpu"})
    run = Run.objects.get(owner=student)
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert run.parameters == {"steps": 8, "device": "cpu"}

    bad = client.post(f"/courses/assignments/{assignment.pk}/", {"p_steps": "eleven"})
    assert bad.status_code == 400 and "steps must be an integer" in bad.content.decode()


def test_queue_estimate_uses_recent_durations(course, make_user):
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    now = timezone.now()
    for seconds in (30, 60, 90):
        Run.objects.create(
            notebook=assignment.notebook, version=assignment.version, owner=student, timeout_seconds=60, memory_limit_mb=512,
            status=Run.Status.SUCCEEDED, started_at=now - timedelta(seconds=seconds), finished_at=now,
        )  # fmt: skip
    first = services.assignment_run_start(actor=student, assignment=assignment, parameters={}).run
    second = services.assignment_run_start(actor=student, assignment=assignment, parameters={}).run

    estimates = selectors.queue_estimates([first, second])
    assert estimates[first.pk].position == 1 and estimates[second.pk].position == 2
    assert estimates[first.pk].seconds == 60 and estimates[second.pk].seconds == 120


def test_the_assignment_page_says_the_wait_in_minutes_and_hours(course, make_user, client):
    # Given a queue whose runs take about 61 minutes, and two runs waiting in it
    assignment = factories.assignment(course)
    student = factories.student_in(course, make_user)
    now = timezone.now()
    Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, timeout_seconds=7200, memory_limit_mb=512,
        status=Run.Status.SUCCEEDED, started_at=now - timedelta(minutes=61), finished_at=now,
    )  # fmt: skip
    services.assignment_run_start(actor=student, assignment=assignment, parameters={})
    services.assignment_run_start(actor=student, assignment=assignment, parameters={})

    # When the student opens the assignment, in English and in Chinese
    client.force_login(student)
    english = client.get(f"/courses/assignments/{assignment.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(f"/courses/assignments/{assignment.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # Then each wait reads as hours and minutes, not as thousands of seconds
    assert "position 1 in the queue · about 1 h 1 min to wait" in english
    assert "position 2 in the queue · about 2 h 2 min to wait" in english
    assert "约需等待 2 小时 2 分钟" in chinese
    assert "3660" not in english and "7320" not in english


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (45, "45 s"), (60, "1 min"), (61, "2 min"), (3599, "1 h 0 min"), (3660, "1 h 1 min")]
)
def test_a_wait_reads_in_the_unit_people_use(seconds, text):
    from django.utils import translation

    from notebooks.fair_queue import duration_text

    with translation.override("en"):
        assert duration_text(seconds) == text
