"""An assignment's Grades page: its grade book, the distribution of a metric and the failed runs, for those who
oversee the course (everyone else gets the 404 a stranger gets); the "Grading and run limits" form lives there,
and the assignment page links to it instead of carrying the grade book itself."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from accounts.models import AuditLogEntry
from courses.models import Assignment
from notebooks.models import Run
from tests.conftest import audit_actions
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def setup(catalogue, make_user, settings):
    settings.NOTEBOOK_STUDENT_MAX_TIMEOUT = 900
    settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB = 4096
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    students = [factories.student_in(course, make_user) for _ in range(2)]
    factories.finished(assignment, students[0], metrics={"accuracy": 0.75})
    factories.finished(assignment, students[1], metrics={"accuracy": 0.5})
    failed = factories.finished(
        assignment, students[1], status=Run.Status.FAILED, error="ValueError: the data is wrong", error_cell=4
    )
    return course, assignment, students, failed


def test_the_grades_page_shows_the_grade_book_the_distribution_and_the_failed_runs(setup, client):
    course, assignment, students, failed = setup
    client.force_login(factories.instructor_of(course))

    response = client.get(f"/courses/assignments/{assignment.pk}/grades/")

    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    rows = {row.td.text: [td.text for td in row.select("td.num")] for row in page.select("[data-gradebook] tbody tr")}
    assert rows[str(students[0])] == ["1", "0.75"] and rows[str(students[1])] == ["2", "0.5"]
    assert page.select_one("[data-sort-metric=accuracy]") is not None
    assert page.select("svg[data-histogram] rect"), "the distribution of accuracy is drawn"
    (row,) = page.select("[data-failed] tbody tr")
    assert row.a["href"] == f"/runs/{failed.run_id}/" and "ValueError: the data is wrong" in row.text and "cell 4" in row.text
    assert page.select_one("[data-grades-csv]")["href"] == f"/courses/assignments/{assignment.pk}/grades.csv"
    assert page.select_one("[data-grades-link]")["aria-current"] == "page"
    assert page.select_one("form[data-settings-form]")["action"] == f"/courses/assignments/{assignment.pk}/settings/"


def test_the_grades_page_sorts_pages_and_charts_on_its_own_url(setup, client):
    course, assignment, students, _failed = setup
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(
        client.get(f"/courses/assignments/{assignment.pk}/grades/?sort=m:accuracy&dir=desc&metric=accuracy").content,
        "html.parser",
    )

    assert [row.td.text for row in page.select("[data-gradebook] tbody tr")] == [str(students[0]), str(students[1])]
    assert page.select_one("#metric option[selected]")["value"] == "accuracy"
    assert page.select_one("[data-sort-metric=accuracy]")["href"] == "?sort=m:accuracy"  # relative: stays on Grades


def test_a_student_and_an_outsider_get_404_for_the_grades_page(setup, client, make_user):
    _course, assignment, students, _failed = setup
    url = f"/courses/assignments/{assignment.pk}/grades/"

    client.force_login(students[0])
    assert client.get(url).status_code == 404
    client.force_login(factories.instructor_of(factories.course(make_user)))
    assert client.get(url).status_code == 404


def test_the_assignment_page_links_an_overseer_to_the_grades_page_without_the_grade_book(setup, client):
    course, assignment, students, _failed = setup
    client.force_login(factories.instructor_of(course))

    page = BeautifulSoup(client.get(f"/courses/assignments/{assignment.pk}/").content, "html.parser")

    assert page.select_one("[data-grades-link]")["href"] == f"/courses/assignments/{assignment.pk}/grades/"
    assert page.select_one("[data-runs-link]")["aria-current"] == "page"
    assert len(page.select("[data-submissions] tbody tr[data-run-row]")) == 3, "its runs are still listed"
    for moved in ("[data-gradebook]", "[data-histogram]", "[data-failed]", "[data-settings-form]"):
        assert page.select_one(moved) is None, moved
    client.force_login(students[0])
    student_page = BeautifulSoup(client.get(f"/courses/assignments/{assignment.pk}/").content, "html.parser")
    assert student_page.select_one("[data-grades-link]") is None, "no link to a page a student may not open"
    assert student_page.select_one("[data-submissions]") is not None


def test_the_latest_runs_sentence_links_to_the_grades_page_in_both_languages(setup, client, monkeypatch):
    course, assignment, _students, _failed = setup
    monkeypatch.setattr("courses.views.LATEST_RUNS_SHOWN", 2)
    client.force_login(factories.instructor_of(course))
    url = f"/courses/assignments/{assignment.pk}/"

    english = BeautifulSoup(client.get(url).content, "html.parser").select_one("[data-latest-runs]")
    chinese = BeautifulSoup(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content, "html.parser")
    chinese = chinese.select_one("[data-latest-runs]")

    grades = f"/courses/assignments/{assignment.pk}/grades/"
    assert english.text == "The latest 2 of 3 runs: every student's runs are in the grade book."
    assert english.a["href"] == grades and english.a.text == "grade book"
    assert chinese.a["href"] == grades and chinese.a.text == "成绩册" and "共 3 次" in chinese.text


def test_a_student_of_a_shared_class_is_told_how_many_runs_are_listed_without_a_link(setup, client, monkeypatch):
    _course, assignment, students, _failed = setup
    Assignment.objects.filter(pk=assignment.pk).update(runs_shared=True)
    monkeypatch.setattr("courses.views.LATEST_RUNS_SHOWN", 2)
    client.force_login(students[0])

    sentence = BeautifulSoup(client.get(f"/courses/assignments/{assignment.pk}/").content, "html.parser").select_one(
        "[data-latest-runs]"
    )

    assert sentence.text == "The latest 2 of 3 runs." and sentence.a is None


def test_a_bad_settings_post_shows_its_error_on_the_grades_page_and_changes_nothing(setup, client):
    course, assignment, _students, _failed = setup
    client.force_login(factories.instructor_of(course))
    before = AuditLogEntry.objects.count()

    response = client.post(
        f"/courses/assignments/{assignment.pk}/settings/",
        {"grade_metric": "accuracy", "run_timeout_seconds": "45", "run_memory_mb": "8192"},
    )

    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    assert "open" in page.select_one("details[data-assignment-settings]").attrs
    assert "4096 is the portal's maximum" in page.select_one("#id_run_memory_mb_error").text
    assert page.select("[data-gradebook] tbody tr"), "the Grades page, grade book and all"
    assignment.refresh_from_db()
    assert (assignment.grade_metric, assignment.run_timeout_seconds, assignment.run_memory_mb) == ("", None, None)
    assert AuditLogEntry.objects.count() == before


def test_a_good_settings_post_saves_logs_and_returns_to_the_grades_page(setup, client):
    course, assignment, _students, _failed = setup
    client.force_login(factories.instructor_of(course))

    # accuracy is offered because the grade book's runs report it (the notebook does not declare it)
    response = client.post(
        f"/courses/assignments/{assignment.pk}/settings/",
        {"grade_metric": "accuracy", "run_timeout_seconds": "45", "run_memory_mb": ""},
    )

    assert response.status_code == 302 and response["Location"] == f"/courses/assignments/{assignment.pk}/grades/"
    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.grade_metric, saved.run_timeout_seconds, saved.run_memory_mb) == ("accuracy", 45, None)
    assert audit_actions().count("assignment.settings_set") == 1
    page = client.get(response["Location"]).content.decode()
    assert "Assignment settings saved." in page and "The course grade book shows accuracy." in page
