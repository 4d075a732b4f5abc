"""The signed-in user of a request, typed, for views that already require sign-in."""

from __future__ import annotations

from typing import Any

from accounts.errors import NotAllowed
from accounts.models import User


def actor_of(request: Any) -> User:
    """`request.user` as a `User`; NotAllowed if the request is anonymous (a view forgot its guard)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        raise NotAllowed("Sign in first.", code="not_authenticated")
    return user
