"""What the portal tells JupyterHub about the person signing in (the OAuth 2 userinfo endpoint).

Roles become the Hub's groups (oauthenticator's `manage_groups`): `student`, `instructor`, and
`administrator` for portal administrators (the role, or a superuser) — the Hub's only admins.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Role, User
from accounts.selectors import user_roles
from labs.hub_client import hub_username

HUB_GROUPS = {Role.STUDENT: "student", Role.INSTRUCTOR: "instructor", Role.ADMINISTRATOR: "administrator"}


def hub_groups(user: User) -> list[str]:
    roles = user_roles(user)
    return sorted(group for role, group in HUB_GROUPS.items() if role in roles)


def userinfo(user: User) -> dict[str, Any]:
    return {
        "sub": str(user.pk),
        "username": hub_username(user.username),
        "name": user.public_name,
        "email": user.email,
        "groups": hub_groups(user),
        "roles": sorted(user_roles(user)),
    }
