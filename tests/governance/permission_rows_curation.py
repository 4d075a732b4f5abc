"""Permission-matrix rows for this app's routes (see tests/portal/test_permission_matrix.py)."""

from __future__ import annotations

from typing import Any

ROUTES: dict[str, dict[str, dict[str, int]]] = {}
VISITORS: dict[str, list[str]] = {}


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    return {}


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    return None
