"""Per-view changes to the site's Content-Security-Policy: django-csp's `csp_replace`, typed for any view.

(django-csp annotates its decorators for views taking only the request; this keeps a view's own signature.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from csp.decorators import csp_replace
from django.http import HttpResponseBase

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def csp_replaced(directives: dict[str, list[str]]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The view's answers carry the site's policy with these directives replaced."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        return cast(Callable[P, R], csp_replace(directives)(cast(Any, view)))

    return decorate
