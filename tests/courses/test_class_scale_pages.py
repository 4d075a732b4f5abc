"""The course pages of a class larger than one page: the assignment page, its Grades page, the runs API and the
course page make as many queries for a large class as for a small one (runs waiting in the queue, failed runs, more
runs than the page lists and more students than a grade-book page included), and still show the right rows and
links."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import views
from courses.models import Submission
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db

PAGE_ROWS = 3  # runs listed and students per grade-book page, so a class of 4 already spans pages


def _run(assignment, student, status, **fields):
    run = Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, parameters={"steps": 3},
        timeout_seconds=60, memory_limit_mb=512, status=status, share=f"course:{assignment.course_id}", **fields,
    )  # fmt: skip
    return Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student)


def _class(make_user, size):
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    for index in range(size):
        student = factories.student_in(course, make_user)
        _run(assignment, student, Run.Status.SUCCEEDED, metrics={"accuracy": index / size}, input_source="{}")
        _run(assignment, student, Run.Status.FAILED, error="ValueError: the data is wrong", error_cell=2)
        _run(assignment, student, Run.Status.QUEUED)  # waiting to be sent: the page shows its place in line
    return course, assignment


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views, "LATEST_RUNS_SHOWN", PAGE_ROWS)
    monkeypatch.setattr(views, "GRADEBOOK_PAGE_STUDENTS", PAGE_ROWS)


def test_the_course_pages_make_as_many_queries_for_a_large_class_as_for_a_small_one(
    catalogue, make_user, client, small_pages, django_assert_max_num_queries
):
    counts = []
    for size in (4, 15):
        course, assignment = _class(make_user, size)
        client.force_login(factories.instructor_of(course))
        counts.append(
            [
                _queries(client, f"/courses/assignments/{assignment.pk}/"),
                _queries(client, f"/courses/assignments/{assignment.pk}/grades/"),
                _queries(client, f"/courses/assignments/{assignment.pk}/grades/?sort=m:accuracy&dir=desc&page=2"),
                _queries(client, f"/api/v1/assignments/{assignment.pk}/runs/"),
                _queries(client, f"/courses/{course.pk}/"),
                _queries(client, f"/courses/{course.pk}/gradebook/"),
                _queries(client, f"/api/v1/courses/{course.pk}/gradebook/"),
            ]
        )

    assert counts[0] == counts[1], counts
    # Session, user, assignment, access; the latest runs and their count; the line of the queue they wait in (runs
    # sent, runs waiting, in service, last served per course and per person, typical duration, live runners); the
    # menu's roles and notifications. Not the grade book: that is the Grades page's.
    with django_assert_max_num_queries(15):
        client.get(f"/courses/assignments/{assignment.pk}/")
    # Session, user, assignment, access; the grade book (students, submissions); failed runs; the menu's roles and
    # notifications.
    with django_assert_max_num_queries(9):
        client.get(f"/courses/assignments/{assignment.pk}/grades/")


def test_the_assignment_page_lists_the_latest_runs_with_their_links_and_places_in_line(catalogue, make_user, client, small_pages):
    course, assignment = _class(make_user, 5)
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(client.get(f"/courses/assignments/{assignment.pk}/").content, "html.parser")

    latest = list(assignment.submissions.select_related("run", "student").order_by("-created_at", "-id")[:PAGE_ROWS])
    rows = page.select("[data-submissions] tbody tr[data-run-row]")
    assert [row.select_one("a")["href"] for row in rows] == [f"/runs/{s.run_id}/" for s in latest]
    assert [row["data-api"] for row in rows] == [f"/api/v1/runs/{s.run_id}/" for s in latest]
    assert [str(s.student) in row.text for s, row in zip(latest, rows, strict=True)] == [True] * PAGE_ROWS
    waiting = [s.run.status == Run.Status.QUEUED for s in latest]
    assert [row.select_one("[data-wait]") is not None for row in rows] == waiting and any(waiting), "a place in line"
    reruns = [form["action"] for form in page.select("form[id^=rerun-]")]
    assert reruns == [f"/courses/submissions/{s.pk}/rerun/" for s in latest]
    assert page.select_one("[data-latest-runs] a")["href"] == f"/courses/assignments/{assignment.pk}/grades/", "15 runs, 3 listed"
    assert page.select_one("[data-gradebook]") is None and page.select_one("[data-failed]") is None, "on the Grades page"


def test_the_grades_page_lists_a_page_of_students_and_the_latest_failed_runs(catalogue, make_user, client, small_pages):
    course, assignment = _class(make_user, 5)
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(client.get(f"/courses/assignments/{assignment.pk}/grades/").content, "html.parser")

    failed = page.select("[data-failed] tbody tr")
    assert len(failed) == PAGE_ROWS and all("ValueError: the data is wrong" in row.text for row in failed)
    assert [row.select_one("a")["href"] for row in failed] == [
        f"/runs/{s.run_id}/"
        for s in assignment.submissions.filter(run__status=Run.Status.FAILED).order_by("-created_at", "-id")[:PAGE_ROWS]
    ]
    gradebook = page.select("[data-gradebook] tbody tr")
    assert len(gradebook) == PAGE_ROWS and all("3" in row.select("td.num")[0].text for row in gradebook), "3 runs each"


def test_the_course_page_lists_everyone_enrolled(catalogue, make_user, client):
    course, _assignment = _class(make_user, 4)
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(client.get(f"/courses/{course.pk}/").content, "html.parser")

    rows = [[cell.text for cell in row.select("td")] for row in page.select("[data-roster] tbody tr")]
    expected = [
        [str(e.user), e.user.email, e.get_role_display(), e.get_source_display()]
        for e in course.enrolments.select_related("user").order_by("role", "user__display_name", "user__username")
    ]
    assert rows == expected and len(rows) == 5


def test_a_name_on_the_roster_is_text_not_markup(catalogue, make_user, client):
    course, _assignment = _class(make_user, 1)
    student = course.enrolments.get(role="student").user
    student.display_name = '<img src=x onerror="alert(1)">'
    student.save(update_fields=["display_name"])
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(client.get(f"/courses/{course.pk}/").content, "html.parser")

    assert page.select("[data-roster] img") == []
    assert '<img src=x onerror="alert(1)">' in [row.select("td")[0].text for row in page.select("[data-roster] tbody tr")]
