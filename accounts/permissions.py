"""DRF permission classes built on roles."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.selectors import user_has_role


class HasRole(BasePermission):
    """Use as `HasRole.of(Role.AUDITOR, Role.CURATOR)`: any one of the roles admits."""

    roles: tuple[str, ...] = ()
    message = "Your roles do not allow this."

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        names = ", ".join(roles)
        return type(f"HasRole({names})", (cls,), {"roles": roles, "message": f"This needs one of these roles: {names}."})

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and user_has_role(request.user, *self.roles))
