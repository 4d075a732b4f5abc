"""The navigation: sections shown by the user's roles, only those whose pages exist."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.notifications import unread_count
from accounts.selectors import user_roles

# (url name, label, roles that see it; empty = everyone)
NAVIGATION: list[tuple[str, Any, frozenset[str]]] = [
    ("guide:index", _("Guide"), frozenset()),
    ("notebooks:catalogue", _("Notebooks"), frozenset()),
    ("notebooks:my_runs", _("My runs"), frozenset(Role.values)),
    ("courses:index", _("Courses"), frozenset({Role.INSTRUCTOR, Role.STUDENT, Role.ADMINISTRATOR})),
    ("governance:audits", _("Audits"), frozenset({Role.AUDITOR, Role.ADMINISTRATOR})),
    ("governance:curation", _("Curation"), frozenset({Role.CURATOR, Role.ADMINISTRATOR})),
    ("governance:toolchain", _("Toolchain"), frozenset({Role.TOOLCHAIN_MAINTAINER, Role.ADMINISTRATOR})),
    ("governance:models", _("Models"), frozenset()),
    ("governance:health", _("Model health"), frozenset()),
    ("governance:sponsorship", _("Sponsorship"), frozenset({Role.STEWARD, Role.ADMINISTRATOR})),
    ("people", _("Contributors"), frozenset()),
    ("accounts:queue", _("Role approvals"), frozenset({Role.STEWARD, Role.ADMINISTRATOR})),
    ("accounts:audit_log", _("Audit log"), frozenset({Role.STEWARD, Role.ADMINISTRATOR})),
]

_resolved: dict[str, str | None] = {}


def _url(name: str) -> str | None:
    if name not in _resolved:
        try:
            _resolved[name] = reverse(name)
        except NoReverseMatch:
            _resolved[name] = None
    return _resolved[name]


def navigation(request: HttpRequest) -> dict[str, Any]:
    roles = user_roles(getattr(request, "user", None))
    items = []
    for name, label, needs in NAVIGATION:
        url = _url(name)
        if url is None or (needs and not (roles & needs)):
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url) and url != "/"})
    role_labels = dict(Role.choices)
    user = getattr(request, "user", None)
    unread = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"nav_items": items, "my_roles": [role_labels[role] for role in sorted(roles)], "unread_notifications": unread}
