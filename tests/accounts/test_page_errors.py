"""One page-error decorator and one form-error helper serve every app: a refusal is the page with the API's
status, a foreign object is the 404 page, and a service's field errors land on the fields they name."""

from __future__ import annotations

import pytest
from django import forms
from django.test import RequestFactory

from accounts.errors import ApplicationError, NotAllowed, NotFound, WrongState
from accounts.page_errors import form_add_service_errors, page_errors


def _view_raising(error: Exception):
    @page_errors
    def view(request):
        raise error

    return view


@pytest.mark.parametrize(
    ("error", "status", "shown"),
    [
        (NotAllowed("Only an instructor can re-run."), 403, "Only an instructor can re-run."),
        (WrongState("This run has already ended."), 409, "This run has already ended."),
        (NotFound("No such course 42."), 404, None),
    ],
)
def test_a_refusal_is_a_page_with_the_status_the_api_would_give(error, status, shown):
    response = _view_raising(error)(RequestFactory().get("/somewhere/"))

    assert response.status_code == status
    page = response.content.decode()
    if shown:
        assert shown in page and f'data-status="{status}"' in page
    else:
        assert "No such course 42." not in page, "a 404 says nothing of what was looked for"


def test_a_view_that_answers_is_left_alone():
    @page_errors
    def view(request, pk):
        from django.http import HttpResponse

        return HttpResponse(f"page {pk}")

    assert view(RequestFactory().get("/"), 7).content == b"page 7"


class _Form(forms.Form):
    title = forms.CharField(required=False)
    p_steps = forms.IntegerField(required=False)
    parameters = forms.CharField(required=False)


def test_service_errors_land_on_the_fields_they_name():
    form = _Form(data={})
    assert form.is_valid()
    error = ApplicationError(
        "Not valid.", fields={"title": ["Too long."], "steps": ["steps must be at most 10."], "device": ["Unknown."]}
    )

    form_add_service_errors(form, error, unknown_field="parameters")

    assert form.errors == {
        "title": ["Too long."],
        "p_steps": ["steps must be at most 10."],
        "parameters": ["device: Unknown."],
    }


def test_a_service_error_naming_no_field_goes_above_the_form():
    form = _Form(data={})
    assert form.is_valid()

    form_add_service_errors(form, WrongState("Someone else changed it first."))
    unknown = _Form(data={})
    assert unknown.is_valid()
    form_add_service_errors(unknown, ApplicationError("Bad.", fields={"device": ["Unknown."]}))

    assert form.non_field_errors() == ["Someone else changed it first."]
    assert unknown.non_field_errors() == ["Unknown."]
