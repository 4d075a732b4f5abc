"""Refusals on governance pages: the reason, with the status the API would give (400/403/404/409/413)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.errors import ApplicationError


def page_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            if error.status == 404:
                return render(request, "404.html", status=404)
            context = {"error": error, "back": request.META.get("HTTP_REFERER", "")}
            return render(request, "governance/refused.html", context, status=error.status)

    return wrapped
