"""How every app's pages answer a service's refusal: one decorator for the page, one helper for a form.

A page view lets `ApplicationError` propagate and is decorated with `page_errors`: not found (or not visible)
is the portal's 404 page, never a page that confirms the object exists; any other refusal is a page with the
reason and the status the API would give (400/403/409/413). A view that shows a form catches the service's
error itself and puts it on the form with `form_add_service_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from accounts.errors import ApplicationError

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def page_errors(view: Callable[Concatenate[HttpRequest, P], R]) -> Callable[Concatenate[HttpRequest, P], R | HttpResponse]:
    """Wraps a page view so that a service's refusal it lets through becomes the refusal page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R | HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return refusal_page(request, error)

    return wrapped


def refusal_page(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    """The page for a refusal: the 404 page for something not found, else the reason with the API's status."""
    if error.status == 404:
        return render(request, "404.html", status=404)
    context = {"error": error, "back": request.META.get("HTTP_REFERER", "")}
    return render(request, "accounts/refused.html", context, status=error.status)


def form_add_service_errors(form: forms.BaseForm, error: ApplicationError, *, unknown_field: str | None = None) -> None:
    """Puts a service's error on the form fields it names: a parameter `name` on its `p_<name>` field, any
    other on the field of that name. A name the form has no field for goes on `unknown_field` prefixed with
    the name (or above the form); an error naming no field goes above the form."""
    for name, problems in error.fields.items():
        target = f"p_{name}" if f"p_{name}" in form.fields else name if name in form.fields else None
        for problem in problems:
            if target is None and unknown_field is not None:
                form.add_error(unknown_field, f"{name}: {problem}")
            else:
                form.add_error(target, problem)
    if not error.fields:
        form.add_error(None, error.message)
