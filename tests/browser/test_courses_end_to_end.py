"""The course flow in Chromium: an instructor creates a course, enrols three students from a CSV file and
assigns a notebook; the students run it with different parameters; the instructor sees their results in
the grade book and downloads the material bundle."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.models import Role, User
from courses.models import Course, InstitutionMember
from notebooks.engine.executor import execute_run
from notebooks.models import Run
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.courses import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STUDENTS = [("li.lei@u.edu.cn", "李雷", 2), ("han.meimei@u.edu.cn", "韩梅梅", 5), ("wang.fang@u.edu.cn", "王芳", 9)]


def test_instructor_and_three_students_through_a_course(page, live_server, nb, make_user, monkeypatch, tmp_path):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    nb("short")
    instructor = make_user(Role.INSTRUCTOR, display_name="张老师")
    InstitutionMember.objects.create(institution=factories.institution("u.edu.cn"), user=instructor)

    # The instructor creates the course.
    sign_in(page, instructor, live_server.url)
    page.goto("/courses/")
    form = page.locator("[data-create-course]")
    form.get_by_label("Course code").fill("AI-101")
    form.get_by_label("Title").fill("Zero-threshold model factory")
    form.get_by_label("Term").fill("2026 autumn")
    form.get_by_role("button", name="Create course").click()
    expect(page.locator("h1")).to_have_text("AI-101 Zero-threshold model factory")
    course = Course.objects.get(code="AI-101")

    # ... enrols three students from a GBK file, as Chinese Excel saves it ...
    roster = tmp_path / "students.csv"
    roster.write_bytes(("邮箱,姓名\r\n" + "".join(f"{email},{name}\r\n" for email, name, _ in STUDENTS)).encode("gbk"))
    page.locator("[data-csv-form] input[type=file]").set_input_files(str(roster))
    page.get_by_role("button", name="Upload and enrol").click()
    expect(page.locator(".message.success")).to_contain_text("3 students enrolled")
    for _, name, _ in STUDENTS:
        expect(page.locator("[data-roster]")).to_contain_text(name)
    screenshot(page, "courses-1-enrolled")

    # ... and assigns a notebook with a default, typed in the same fields a student's run form has.
    choice = page.locator("[data-notebook-choice]")
    choice.get_by_label("Notebook").select_option("short")
    choice.get_by_role("button", name="Next: default parameters").click()
    assignment_form = page.locator("[data-assignment-form]")
    assignment_form.get_by_label("Title", exact=True).fill("First run of the factory")
    assignment_form.get_by_label("steps").fill("4")
    assignment_form.get_by_role("button", name="Add assignment").click()
    expect(page.locator("h1")).to_have_text("First run of the factory")
    assignment_url = page.url

    # Each student runs it with their own steps and watches it finish on the live run page.
    for email, name, steps in STUDENTS:
        student = User.objects.get(email=email)
        page.context.clear_cookies()
        sign_in(page, student, live_server.url)
        page.goto(assignment_url)
        expect(page.get_by_label("steps")).to_have_value("4")
        page.get_by_label("steps").fill(str(steps))
        page.get_by_role("button", name="Start run").click()
        page.wait_for_url("**/runs/*/")
        run = Run.objects.get(owner=student)
        execute_run(run.pk, run.attempt)
        expect(page.locator("[data-status]").first).to_have_text("Succeeded", timeout=30_000)
        if steps == 5:
            screenshot(page, "courses-2-student-run")
        page.goto(assignment_url)
        expect(page.locator("[data-submissions]")).to_contain_text(f"steps={steps}")
        expect(page.locator("[data-submissions]")).not_to_contain_text("李雷" if name != "李雷" else "韩梅梅")

    # The instructor sees everyone's results, sorted by the metric, and the distribution.
    page.context.clear_cookies()
    sign_in(page, instructor, live_server.url)
    page.goto(assignment_url)
    page.locator("[data-grades-link]").click()
    page.wait_for_url("**/grades/")
    page.goto(page.url + "?sort=m:steps&dir=desc")
    gradebook = page.locator("[data-gradebook] tbody tr")
    expect(gradebook).to_have_count(3)
    expect(gradebook.first).to_contain_text("王芳")
    expect(gradebook.first).to_contain_text("9")
    expect(page.locator("[data-histogram] rect")).not_to_have_count(0)
    screenshot(page, "courses-3-instructor-dashboard")

    # ... and downloads the material bundle.
    page.goto(f"/courses/{course.pk}/")
    with page.expect_download() as waiting:
        page.locator("[data-bundle]").click()
    download = waiting.value
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / download.suggested_filename
    download.save_as(str(target))
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    assert sorted(name.split("/", 1)[1] for name in archive.namelist()) == [
        "ATTRIBUTION.md", "LICENSE", "README.md", "notebooks/short.ipynb",
    ]  # fmt: skip
    assert course.downloads.count() == 1
    screenshot(page, "courses-4-course-page")

    # ... and the course-wide grade book: one row per student, their steps as the metric, each a link to the run.
    page.locator("[data-course-gradebook]").click()
    cells = page.locator("table[data-course-gradebook] tbody tr")
    expect(cells).to_have_count(3)
    expect(page.locator("table[data-course-gradebook]")).to_contain_text("王芳")
    expect(page.locator("table[data-course-gradebook] td[data-cell] a")).to_have_count(3)
    screenshot(page, "courses-5-course-gradebook")
