"""The course-wide grade book: students × assignments, each cell the assignment's grade metric from the
student's latest successful run (as the assignment's own grade book counts it), late and missing marked,
each linked to its run; a CSV export with formulas neutralised; a JSON API; for those who oversee the
course only; its query count does not grow with students or assignments."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Submission
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db


def _finished(assignment, student, status=Run.Status.SUCCEEDED, late=False, **fields):
    run = Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512, status=status, **fields,
    )  # fmt: skip
    return Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student, late=late)


@pytest.fixture
def book(catalogue, make_user):
    course = factories.course(make_user)
    first = factories.assignment(course, due_at=timezone.now() - timedelta(days=2), grade_metric="accuracy")
    second = factories.assignment(course, due_at=timezone.now() - timedelta(days=1))
    third = factories.assignment(course, due_at=timezone.now() + timedelta(days=7))
    ada = factories.student_in(course, make_user)
    ada.display_name = "Ada"
    ada.save()
    bob = factories.student_in(course, make_user)
    bob.display_name = "=HYPERLINK(1)"
    bob.save()
    older = _finished(first, ada, metrics={"accuracy": 0.6, "loss": 0.9})
    counted = _finished(first, ada, metrics={"accuracy": 0.8, "loss": 0.2})
    _finished(first, ada, status=Run.Status.FAILED, error="boom")  # newest, but not a success: not counted
    _finished(first, bob, metrics={"accuracy": 0.5}, late=True)
    failed = _finished(second, ada, status=Run.Status.FAILED, metrics={"score": 1})
    _finished(second, bob, metrics={"score": 3})
    return {
        "course": course,
        "assignments": (first, second, third),
        "students": (ada, bob),
        "older": older,
        "counted": counted,
        "failed": failed,
    }


@pytest.fixture
def instructor_client(client, book):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(factories.instructor_of(book["course"]))
    return client


def _cells(page: str) -> dict[tuple[str, int], dict[str, str]]:
    soup = BeautifulSoup(page, "html.parser")
    table = soup.select_one("table[data-course-gradebook]")
    rows = {}
    for tr in table.select("tbody tr"):
        name = tr.th.get_text(strip=True)
        for index, td in enumerate(tr.select("td[data-cell]")):
            link = td.a["href"] if td.a else ""
            rows[(name, index)] = {"text": " ".join(td.get_text().split()), "state": td["data-state"], "link": link}
    return rows


def test_each_cell_is_the_grade_metric_of_the_latest_successful_run_linked_to_it(book, instructor_client):
    page = instructor_client.get(f"/courses/{book['course'].pk}/gradebook/").content.decode()
    cells = _cells(page)

    # the first assignment is graded by accuracy (chosen), from the latest succeeded run, not the newest failed one
    assert cells[("Ada", 0)] == {"text": "0.8", "state": "counted", "link": f"/runs/{book['counted'].run_id}/"}
    assert cells[("=HYPERLINK(1)", 0)]["text"] == "0.5 late" and cells[("=HYPERLINK(1)", 0)]["state"] == "late"
    # the second falls back to the first metric its runs report (score); a student with only a failed run
    assert cells[("=HYPERLINK(1)", 1)]["text"] == "3"
    assert cells[("Ada", 1)]["state"] == "no_success" and cells[("Ada", 1)]["link"] == f"/runs/{book['failed'].run_id}/"
    # no run: missing once the due date passed, not started before it
    assert cells[("Ada", 2)]["state"] == "not_started"
    assert "score" in page and "accuracy" in page


def test_a_missing_run_after_the_due_date_is_marked(book, instructor_client, make_user):
    latecomer = factories.student_in(book["course"], make_user)

    cells = _cells(instructor_client.get(f"/courses/{book['course'].pk}/gradebook/").content.decode())

    assert cells[(str(latecomer), 0)] == {"text": "missing", "state": "missing", "link": ""}
    assert cells[(str(latecomer), 2)]["state"] == "not_started"


def test_names_drawn_in_the_rows_are_escaped_on_both_grade_books(book, instructor_client):
    ada = book["students"][0]
    ada.display_name = '<img src=x onerror="alert(1)">'
    ada.save()

    course_page = instructor_client.get(f"/courses/{book['course'].pk}/gradebook/").content.decode()
    grades_page = instructor_client.get(f"/courses/assignments/{book['assignments'][0].pk}/grades/").content.decode()

    for page in (course_page, grades_page):
        assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    # the row is still the student's, with their counted value
    assert _cells(course_page)[('<img src=x onerror="alert(1)">', 0)]["text"] == "0.8"
    rows = BeautifulSoup(grades_page, "html.parser").select("[data-gradebook] tbody tr")
    assert rows[0].td.get_text(strip=True) == '<img src=x onerror="alert(1)">'


def test_the_assignments_grades_page_counts_the_same_run_and_metric(book, instructor_client):
    first = book["assignments"][0]
    course_book = BeautifulSoup(instructor_client.get(f"/courses/{book['course'].pk}/gradebook/").content, "html.parser")

    page = instructor_client.get(f"/courses/assignments/{first.pk}/grades/").content.decode()

    assert course_book.select_one("[data-course-gradebook] thead th.num a")["href"] == f"/courses/assignments/{first.pk}/grades/"
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one("#metric option[selected]")["value"] == "accuracy"
    assert "The course grade book shows accuracy." in page


def test_the_csv_has_a_row_per_student_with_formulas_neutralised(book, instructor_client):
    response = instructor_client.get(f"/courses/{book['course'].pk}/gradebook.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="course-{book["course"].pk}-gradebook.csv"'
    header, *body = rows
    assert header[:3] == ["username", "name", "email"] and header[3] == "Run short [accuracy]"
    by_name = {row[1]: row for row in body}
    assert set(by_name) == {"Ada", "'=HYPERLINK(1)"}
    ada = by_name["Ada"]
    assert ada[3:6] == ["0.8", "counted", str(book["counted"].run_id)]
    assert by_name["'=HYPERLINK(1)"][4] == "late"


def test_the_api_gives_the_same_cells(book, api):
    ada = book["students"][0]
    response = api(factories.instructor_of(book["course"])).get(f"/api/v1/courses/{book['course'].pk}/gradebook/")

    body = response.json()
    assert response.status_code == 200
    assert [a["metric"] for a in body["assignments"]] == ["accuracy", "score", ""]
    row = next(row for row in body["students"] if row["username"] == ada.username)
    assert row["cells"][0] == {
        "assignment": book["assignments"][0].pk,
        "value": 0.8,
        "state": "counted",
        "run": book["counted"].run_id,
        "runs": 3,
    }


def test_students_get_a_404_and_the_instructor_a_page(book, client, api):
    student = book["students"][0]
    client.force_login(student)
    course = book["course"]

    assert client.get(f"/courses/{course.pk}/gradebook/").status_code == 404
    assert client.get(f"/courses/{course.pk}/gradebook.csv").status_code == 404
    assert api(student).get(f"/api/v1/courses/{course.pk}/gradebook/").status_code == 404
    client.force_login(factories.instructor_of(course))
    assert client.get(f"/courses/{course.pk}/gradebook/").status_code == 200


def test_the_query_count_does_not_grow_with_students_or_assignments(catalogue, make_user, client):
    counts = []
    for size in (2, 6):
        course = factories.course(make_user)
        assignments = [factories.assignment(course) for _ in range(size)]
        for _ in range(size):
            student = factories.student_in(course, make_user)
            for assignment in assignments:
                _finished(assignment, student, metrics={"accuracy": 0.5})
        client.force_login(factories.instructor_of(course))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/courses/{course.pk}/gradebook/").status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_a_large_class_comes_in_pages_that_grade_by_the_same_metric(catalogue, make_user, client, api, monkeypatch):
    from courses import views

    monkeypatch.setattr(views, "GRADEBOOK_PAGE_STUDENTS", 2)
    course = factories.course(make_user)
    assignment = factories.assignment(course)  # no chosen metric: the one its students' runs report
    students = [factories.student_in(course, make_user) for _ in range(5)]
    for student in students[:2]:
        _finished(assignment, student, status=Run.Status.FAILED)
    for student in students[2:]:
        _finished(assignment, student, metrics={"accuracy": 0.7, "zeta": 1.0})
    instructor = factories.instructor_of(course)
    client.force_login(instructor)

    pages = [
        BeautifulSoup(client.get(f"/courses/{course.pk}/gradebook/?page={number}").content, "html.parser") for number in (1, 2, 3)
    ]
    body = api(instructor).get(f"/api/v1/courses/{course.pk}/gradebook/?page_size=2&page=2").json()

    assert [len(page.select("[data-course-gradebook] tbody tr")) for page in pages] == [2, 2, 1]
    assert {page.select_one("[data-students]")["data-students"] for page in pages} == {"5"}
    assert all("accuracy" in page.select_one("[data-course-gradebook] thead").text for page in pages), "one metric"
    assert all(page.select_one("nav.pagination") for page in pages)
    assert body["count"] == 5 and len(body["students"]) == 2 and body["next"] and body["previous"]
    assert body["assignments"][0]["metric"] == "accuracy"
    csv_rows = list(csv.reader(io.StringIO(client.get(f"/courses/{course.pk}/gradebook.csv").content.decode("utf-8-sig"))))
    assert len(csv_rows) == 1 + 5, "the export is the whole class"
