"""CSV enrolment: encodings decided per file, every bad row reported with its line, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import Role, RoleGrant, User
from courses.enrolment_csv import read_enrolment_csv
from courses.models import Enrolment
from courses.services import CsvRejected, enrolment_csv_import
from tests.conftest import audit_actions
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


GOOD = "email,name\nli.lei@u.edu.cn,李雷\nhan.mei@u.edu.cn,韩梅梅\nwang.fang@u.edu.cn,王芳\n"


@pytest.fixture
def course(make_user):
    return factories.course(make_user, at=factories.institution("u.edu.cn"))


@pytest.mark.parametrize(
    "raw",
    [GOOD.encode("utf-8"), b"\xef\xbb\xbf" + GOOD.encode("utf-8"), GOOD.encode("gbk"), GOOD.replace("\n", "\r\n").encode("gbk")],
    ids=["utf-8", "utf-8 with BOM", "gbk", "gbk with CRLF (Excel)"],
)
def test_every_encoding_gives_the_same_three_students_with_their_chinese_names(course, raw):
    created = enrolment_csv_import(actor=factories.instructor_of(course), course=course, raw=raw)

    names = sorted(enrolment.user.display_name for enrolment in created)
    assert names == sorted(["李雷", "韩梅梅", "王芳"])
    for enrolment in created:
        assert enrolment.role == "student" and enrolment.source == "csv"
        assert not enrolment.user.has_usable_password()
        assert RoleGrant.objects.filter(user=enrolment.user, role=Role.STUDENT, revoked_at__isnull=True).exists()
    assert "course.enrol_csv" in audit_actions()


def test_chinese_headers_are_understood(course):
    raw = "邮箱,姓名\nli.lei@u.edu.cn,李雷\n".encode("gbk")
    assert len(enrolment_csv_import(actor=factories.instructor_of(course), course=course, raw=raw)) == 1


def test_bad_rows_are_each_reported_with_line_and_reason_and_nothing_is_imported(course, make_user):
    already = factories.student_in(course, make_user)
    already.email = "enrolled@u.edu.cn"
    already.save()
    raw = (
        "email,name\n"
        "good@u.edu.cn,好学生\n"  # 2: fine
        "not-an-address,坏地址\n"  # 3
        "twice@u.edu.cn,第一次\n"  # 4: fine on its own
        "TWICE@u.edu.cn,第二次\n"  # 5: duplicate of 4 (case-insensitive)
        "enrolled@u.edu.cn,已注册\n"  # 6: already in the course
        "someone@gmail.com,外校\n"  # 7: not the institution's domain
        "noname@u.edu.cn,\n"  # 8: name missing
        ",无邮箱\n"  # 9: e-mail missing
    ).encode()
    users_before = User.objects.count()

    with pytest.raises(CsvRejected) as rejected:
        enrolment_csv_import(actor=factories.instructor_of(course), course=course, raw=raw)

    lines = {line for line, _ in rejected.value.report.rejected}
    assert lines == {3, 5, 6, 7, 8, 9}
    reasons = dict(rejected.value.report.rejected)
    assert "valid" in reasons[3] and "line 4" in reasons[5] and "already enrolled" in reasons[6]
    assert "u.edu.cn" in reasons[7] and "name" in reasons[8] and "missing" in reasons[9]
    assert rejected.value.fields["line 5"]
    # Nothing half-imported: neither the good rows' accounts nor their enrolments exist.
    assert User.objects.count() == users_before
    assert Enrolment.objects.filter(course=course, role="student").count() == 1
    assert "course.enrol_csv.rejected" in audit_actions()


def test_subdomains_of_the_institution_are_accepted():
    report = read_enrolment_csv(b"email,name\na@mail.u.edu.cn,A\n", email_domain="u.edu.cn")
    assert report.ok, report.rejected


def test_a_file_that_is_neither_utf8_nor_gbk_is_refused_with_a_reason(course):
    raw = b"email,name\n" + bytes([0x81, 0x20, 0xFF, 0xFE]) + b"@u.edu.cn,x\n"
    with pytest.raises(CsvRejected) as rejected:
        enrolment_csv_import(actor=factories.instructor_of(course), course=course, raw=raw)
    assert "UTF-8" in rejected.value.report.rejected[0][1]


def test_missing_header_is_reported(course):
    with pytest.raises(CsvRejected) as rejected:
        enrolment_csv_import(actor=factories.instructor_of(course), course=course, raw=b"a@u.edu.cn,A\n")
    assert rejected.value.report.rejected[0][0] == 1


def test_an_existing_account_is_enrolled_not_duplicated(course, make_user):
    existing = make_user(email="known@u.edu.cn")
    created = enrolment_csv_import(
        actor=factories.instructor_of(course), course=course, raw=b"email,name\nknown@u.edu.cn,Known\n"
    )
    assert [enrolment.user for enrolment in created] == [existing]


def test_only_an_instructor_of_the_course_may_upload(course, make_user):
    from accounts.errors import NotAllowed

    other = factories.course(make_user)
    with pytest.raises(NotAllowed):
        enrolment_csv_import(actor=factories.instructor_of(other), course=course, raw=GOOD.encode())
    assert "course.enrol_csv.denied" in audit_actions()


def test_oversized_file_is_413_on_the_page_and_the_api(course, browser_client, api, settings):
    settings.COURSES_CSV_MAX_BYTES = 2048
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = ("email,name\n" + "x@u.edu.cn,X\n" * 400).encode()
    instructor = factories.instructor_of(course)
    response = api(instructor).post(f"/api/v1/courses/{course.pk}/enrolments/csv/", {"file": SimpleUploadedFile("s.csv", big)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"

    client = browser_client(None)
    client.force_login(instructor)
    client.get(f"/courses/{course.pk}/")
    page = client.post(
        f"/courses/{course.pk}/enrol/",
        {"file": SimpleUploadedFile("s.csv", big), "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert page.status_code == 413
    assert Enrolment.objects.filter(course=course, role="student").count() == 0


def test_the_page_shows_the_rejection_report(course, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(factories.instructor_of(course))
    raw = "email,name\nbad,坏\nok@u.edu.cn,好\n".encode("gbk")
    response = client.post(f"/courses/{course.pk}/enrol/", {"file": SimpleUploadedFile("s.csv", raw)}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    text = response.content.decode()
    assert "nothing was imported" in text and "bad is not a valid e-mail address" in text and "gbk" in text
    assert Enrolment.objects.filter(course=course, role="student").count() == 0


def test_joining_by_invite_code_makes_a_student(course, make_user):
    from courses.services import course_join

    person = make_user()
    enrolment = course_join(actor=person, invite_code=course.invite_code.lower())
    assert enrolment.role == "student"
    assert RoleGrant.objects.filter(user=person, role=Role.STUDENT).exists()


def test_the_upload_form_states_its_rules_and_offers_a_template_that_imports(client, catalogue, make_user):
    course = factories.course(make_user, at=factories.institution("uni.edu.cn"))
    client.force_login(factories.instructor_of(course))

    page = client.get(f"/courses/{course.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    rules = page[page.index("data-csv-rules") : page.index("data-csv-form")]
    assert "UTF-8" in rules and "GBK" in rules and "email (required)" in rules
    assert "uni.edu.cn" in rules and "courses/enrolment-template.csv" in rules
    template = (Path(__file__).resolve().parents[2] / "courses/static/courses/enrolment-template.csv").read_bytes()
    assert read_enrolment_csv(template).ok and len(read_enrolment_csv(template).rows) == 2
