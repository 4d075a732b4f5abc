"""The instructor's course pages as people see them, in English and Chinese, on a laptop and a phone: the
two-step assignment form with typed defaults (and its error on a bad default), run limits, the assignment
page, its Grades page with the settings, the limits a student is told, and the course grade book. Each fits the viewport (wide
tables scroll inside their container; the grade book's first column stays put) and is photographed into
test-artifacts/courses/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Submission
from notebooks.models import Run
from tests.browser.chromium import ARTIFACTS
from tests.browser.conftest import screenshot, sign_in
from tests.courses import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
SIZES = [(390, 844), (1280, 800)]
MEASURE = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def world(nb, make_user):
    course = factories.course(make_user)
    course.run_timeout_seconds, course.run_memory_mb = 600, 2048
    course.save()
    first = factories.assignment(course, due_at=timezone.now() - timedelta(days=1), grade_metric="steps", run_timeout_seconds=300)
    second = factories.assignment(course, slug="sleeps", due_at=timezone.now() - timedelta(hours=1))
    third = factories.assignment(course, slug="reads-data", due_at=timezone.now() + timedelta(days=5))
    students = []
    for index, name in enumerate(["李雷", "韩梅梅", "王芳", "Zhang Wei", "=HYPERLINK(1)"]):
        student = factories.student_in(course, make_user)
        student.display_name = name
        student.save()
        students.append(student)
        for assignment, status in ((first, Run.Status.SUCCEEDED), (second, [Run.Status.SUCCEEDED, Run.Status.FAILED][index % 2])):
            if index == 4 and assignment == second:
                continue
            run = Run.objects.create(
                notebook=assignment.notebook, version=assignment.version, owner=student, status=status,
                parameters={"steps": index + 2, "device": "auto"}, timeout_seconds=300, memory_limit_mb=1024,
                metrics={"steps": index + 2, "ok": True},
            )  # fmt: skip
            Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student, late=index == 3)
    return {"course": course, "assignments": (first, second, third), "students": students}


def _walk(browser, live_server, user, pages, *, before=None):
    (ARTIFACTS / "courses").mkdir(parents=True, exist_ok=True)
    too_wide = []
    for language, locale in LANGUAGES.items():
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, user, live_server.url)
        for name, path in pages:
            response = page.goto(path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            if before is not None:
                before(name, page)
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                scroll_width, viewport = page.evaluate(MEASURE)
                if scroll_width > viewport:
                    too_wide.append(f"{name} {language} {width}px: {scroll_width}px")
                screenshot(page, f"courses/{name}-{language}-{width}")
            page.set_viewport_size({"width": 390, "height": 844})
        context.close()
    assert too_wide == []


def test_instructor_pages_fit_and_read_in_both_languages(browser, live_server, world):
    course, (first, _second, _third) = world["course"], world["assignments"]
    instructor = factories.instructor_of(course)

    def open_settings(name, page):
        if name == "assignment-grades":
            page.locator("[data-assignment-settings] summary").click()

    _walk(
        browser,
        live_server,
        instructor,
        [
            ("course-instructor", f"/courses/{course.pk}/"),
            ("course-add-assignment-step2", f"/courses/{course.pk}/?notebook=short#add-assignment"),
            ("assignment-instructor", f"/courses/assignments/{first.pk}/"),
            ("assignment-grades", f"/courses/assignments/{first.pk}/grades/"),
            ("course-gradebook", f"/courses/{course.pk}/gradebook/"),
        ],
        before=open_settings,
    )


def test_a_bad_default_shows_its_error_in_both_languages(browser, live_server, world):
    course = world["course"]
    instructor = factories.instructor_of(course)

    def submit_bad_default(name, page):
        form = page.locator("[data-assignment-form]")
        form.evaluate("form => form.noValidate = true")  # the browser's own range check would stop it first
        form.locator("[name=p_steps]").fill("99")
        form.locator("[name=run_timeout_seconds]").fill("5000")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#id_p_steps_error").inner_text() == "steps must be at most 10."
        assert "900" in page.locator("#id_run_timeout_seconds_error").inner_text()
        page.locator("#id_p_steps_error").scroll_into_view_if_needed()

    _walk(
        browser,
        live_server,
        instructor,
        [("course-add-assignment-error", f"/courses/{course.pk}/?notebook=short#add-assignment")],
        before=submit_bad_default,
    )


def test_the_student_sees_the_limits_on_the_run_form(browser, live_server, world):
    first = world["assignments"][0]

    _walk(browser, live_server, world["students"][0], [("assignment-student", f"/courses/assignments/{first.pk}/")])


def test_the_grade_books_first_column_stays_while_its_table_scrolls_on_a_phone(browser, live_server, world):
    course = world["course"]
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, factories.instructor_of(course), live_server.url)
    page.goto(f"/courses/{course.pk}/gradebook/")

    scrolled = page.evaluate(
        """() => {
          const box = document.querySelector('.gradebook-scroll');
          box.scrollLeft = 400;
          const name = box.querySelector('tbody th').getBoundingClientRect();
          const cell = box.querySelector('tbody td').getBoundingClientRect();
          const th = box.querySelector('tbody th');
          return {scrollLeft: box.scrollLeft, boxLeft: box.getBoundingClientRect().left, name: name.left, cell: cell.left,
                  background: getComputedStyle(th).backgroundColor};
        }"""
    )

    assert scrolled["scrollLeft"] > 0, "the table is wider than a phone and scrolls inside its container"
    assert abs(scrolled["name"] - scrolled["boxLeft"]) <= 2, scrolled
    assert scrolled["cell"] < scrolled["boxLeft"], "the other columns moved under it"
    assert scrolled["background"] == "rgb(255, 255, 255)", "opaque, so the cells it covers do not show through"
    page.locator(".gradebook-scroll").scroll_into_view_if_needed()
    screenshot(page, "courses/course-gradebook-scrolled-en-390")
    context.close()
