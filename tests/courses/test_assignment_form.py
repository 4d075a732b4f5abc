"""Adding an assignment: after choosing the notebook, its default parameters are the same typed fields the
student's run form has, checked by the same rules; a bad value is an error on that parameter and nothing
is stored."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from courses.models import Assignment
from tests.courses import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(catalogue, make_user):
    return factories.course(make_user)


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _field(page: str, name: str, form: str) -> dict[str, str]:
    element = BeautifulSoup(page, "html.parser").select_one(f"form[{form}] [name={name}]")
    assert element is not None, f"{name} missing in {form}"
    attrs = {key: " ".join(value) if isinstance(value, list) else value for key, value in element.attrs.items()}
    attrs["tag"] = element.name
    if element.name == "select":
        attrs["options"] = ",".join(option["value"] for option in element.select("option"))
    return attrs


def _post(client, course, **fields):
    data = {"notebook": "short", "title": "", "queue": "cpu", "run_quota": "5", "p_steps": "3", "p_device": "auto"}
    return client.post(f"/courses/{course.pk}/assignments/", {**data, **fields})


def test_the_default_parameters_use_the_run_forms_typed_widgets(course, make_user, client):
    # Given an assignment of the same notebook, a student's run form for comparison
    student = factories.student_in(course, make_user)
    existing = factories.assignment(course)
    client.force_login(student)
    run_page = client.get(f"/courses/assignments/{existing.pk}/").content.decode()
    client.force_login(factories.instructor_of(course))

    chooser = client.get(f"/courses/{course.pk}/").content.decode()
    page = client.get(f"/courses/{course.pk}/?notebook=short").content.decode()

    assert "data-notebook-choice" in chooser and "data-assignment-form" not in chooser
    steps, device = _field(page, "p_steps", "data-assignment-form"), _field(page, "p_device", "data-assignment-form")
    assert steps["tag"] == "input" and steps["type"] == "number" and (steps["min"], steps["max"]) == ("1", "10")
    assert device["tag"] == "select" and device["options"] == "auto,cpu,cuda"
    for name in ("p_steps", "p_device"):
        mine, theirs = _field(page, name, "data-assignment-form"), _field(run_page, name, "data-run-form")
        assert {k: v for k, v in mine.items() if k != "value"} == {k: v for k, v in theirs.items() if k != "value"}


def test_defaults_are_stored_typed(course, client):
    client.force_login(factories.instructor_of(course))

    response = _post(client, course, p_steps="7", p_device="cpu", run_timeout_seconds="120")

    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.default_parameters == {"steps": 7, "device": "cpu"}
    assert (assignment.run_timeout_seconds, assignment.run_memory_mb, assignment.grade_metric) == (120, None, "")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"p_steps": "99"}, "p_steps", "steps must be at most 10."),
        ({"p_steps": "three"}, "p_steps", "steps must be an integer."),
        ({"p_device": "tpu"}, "p_device", "Select a valid choice."),
        ({"run_memory_mb": "9000"}, "run_memory_mb", "4096 is the portal"),
    ],
)
def test_a_bad_default_is_an_error_on_its_field_and_nothing_is_stored(course, client, settings, fields, field, message):
    settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB = 4096
    client.force_login(factories.instructor_of(course))

    response = _post(client, course, **fields)

    assert response.status_code == 400
    errors = BeautifulSoup(response.content.decode(), "html.parser").select_one(f"[name={field}]").find_next("ul")
    assert errors is not None and message in errors.get_text()
    assert Assignment.objects.count() == 0


def test_a_notebook_outside_the_catalogue_is_refused(course, client):
    client.force_login(factories.instructor_of(course))

    response = _post(client, course, notebook="no-such-notebook")

    assert response.status_code == 400
    assert Assignment.objects.count() == 0
