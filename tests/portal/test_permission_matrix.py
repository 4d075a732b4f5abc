"""Every route of the portal × every kind of visitor, with a declared expected status.

The routes come from the URL resolver: a new route without a declaration here fails the suite (the
idea of Zulip's PublicURLTest and Sentry's PermissionTestCase). Object routes are requested by the
object's owner, by a same-role user who does not own it (a foreign object is a 404, never a 403), and
by everyone else.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.parsers import MultiPartParser

from accounts.models import RateCounter, Role, RoleApplication
from notebooks.models import Notebook, Run

pytestmark = pytest.mark.django_db

CORE_VISITORS = [
    "anonymous",
    "student",
    "other_student",
    "auditor",
    "curator",
    "maintainer",
    "instructor",
    "steward",
    "administrator",
]

# Each domain declares its rows in its own module (`tests/<app>/permission_rows.py`) with:
#   ROUTES   — like the core rows below, for the domain's routes;
#   VISITORS — extra visitors it needs, name → roles (e.g. "other_instructor": [Role.INSTRUCTOR]);
#   world(users, make_user) -> dict — the objects its routes are requested on;
#   url(route, world, visitor, make_user) -> str | None — the path to request (None: the core rule).
ROW_MODULES = [
    importlib.import_module(name)
    for name in (
        "tests.governance.permission_rows",
        "tests.curation.permission_rows_curation",
        "tests.courses.permission_rows",
        "tests.labs.permission_rows",
        "tests.accounts.permission_rows_sign_in",
        "tests.lti.permission_rows",
    )
]
VISITORS = CORE_VISITORS + [name for module in ROW_MODULES for name in module.VISITORS]
APPROVERS = {"steward", "administrator"}

# route → {method: expectations}; an expectation maps a visitor (or "*" for the rest) to a status.
SIGNED_IN = {"anonymous": 302, "*": 200}
API_SIGNED_IN = {"anonymous": 401, "*": 200}
PUBLIC = {"*": 200}
OWNED_PAGE = {"anonymous": 302, "student": 200, "administrator": 200, "*": 404}
OWNED_API = {"anonymous": 401, "student": 200, "administrator": 200, "*": 404}
OWNED_FILE = {"anonymous": 302, "*": 404}  # the run has no output yet: 404 for the owner too

ROUTES: dict[str, dict[str, dict[str, int]]] = {
    "": {"GET": PUBLIC},
    "healthz": {"GET": PUBLIC},
    "stats/": {"GET": PUBLIC},
    "health/methodology/<slug:version>/": {"GET": PUBLIC},
    "accounts/login/": {"GET": {"anonymous": 200, "*": 302}},
    "accounts/logout/": {"GET": {"*": 405}, "POST": {"*": 302}},
    "accounts/signup/": {"GET": {"anonymous": 200, "*": 302}},
    "accounts/roles/": {"GET": SIGNED_IN},
    "accounts/roles/queue/": {"GET": {"anonymous": 302, "steward": 200, "administrator": 200, "*": 403}},
    "accounts/roles/applications/<int:pk>/decide/": {"POST": {"anonymous": 302, "steward": 302, "administrator": 302, "*": 403}},
    "accounts/roles/revoke/": {"POST": {"anonymous": 302, "*": 302}},
    "accounts/audit-log/": {"GET": {"anonymous": 302, "steward": 200, "administrator": 200, "*": 403}},
    "accounts/password/": {"GET": SIGNED_IN},
    "accounts/password/reset/": {"GET": PUBLIC, "POST": PUBLIC},  # an empty POST re-renders the form
    "accounts/password/reset/sent/": {"GET": PUBLIC},
    "accounts/password/reset/complete/": {"GET": PUBLIC},
    "accounts/password/reset/<uidb64>/<token>/": {"GET": PUBLIC},  # a wrong token: the "link does not work" page
    "i18n/setlang/": {"POST": {"*": 302}},
    "jsi18n/": {"GET": PUBLIC},
    "api/v1/auth/token/": {"POST": {"*": 400}},
    "api/v1/me/": {"GET": API_SIGNED_IN},
    "api/v1/roles/counts/": {"GET": PUBLIC},
    "api/v1/roles/applications/": {"GET": API_SIGNED_IN, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/roles/applications/<int:pk>/decide/": {"POST": {"anonymous": 401, "*": 400}},
    "api/v1/notebooks/": {"GET": PUBLIC},
    "api/v1/notebooks/check/": {"POST": {"anonymous": 401, "*": 400}},
    "api/v1/notebooks/<slug:slug>/": {"GET": PUBLIC},
    "api/v1/runs/": {"GET": API_SIGNED_IN, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/runs/<int:pk>/": {"GET": OWNED_API},
    "api/v1/runs/<int:pk>/cancel/": {"POST": {"anonymous": 401, "student": 200, "administrator": 409, "*": 404}},
    "api/v1/runners/": {"GET": API_SIGNED_IN},
    "api/v1/stats/": {"GET": PUBLIC},
    "api/schema/": {"GET": PUBLIC},
    "api/docs/": {"GET": PUBLIC},
    "notebooks/": {"GET": PUBLIC},
    "notebooks/<slug:slug>/": {"GET": PUBLIC},
    "runs/": {"GET": SIGNED_IN},
    "runs/compare/": {"GET": {"anonymous": 302, "student": 200, "administrator": 200, "*": 404}},
    "runs/<int:pk>/": {"GET": OWNED_PAGE},
    "runs/<int:pk>/cancel/": {"POST": {"anonymous": 302, "student": 302, "administrator": 302, "*": 404}},
    "runs/<int:pk>/output.html": {"GET": OWNED_FILE},
    "runs/<int:pk>/output.ipynb": {"GET": OWNED_FILE},
    "runners/": {"GET": SIGNED_IN},
    "guide/": {"GET": PUBLIC},
    "guide/search/": {"GET": PUBLIC},
    "guide/errata/": {"GET": PUBLIC},
    "guide/<slug:slug>/": {"GET": PUBLIC},
    "about/": {"GET": PUBLIC},
    "people/": {"GET": PUBLIC},
    "people/<str:username>/": {"GET": PUBLIC},
    "me/": {"GET": SIGNED_IN},
    "accounts/notifications/": {"GET": SIGNED_IN, "POST": {"anonymous": 302, "*": 302}},
}
CORE_ROUTES = set(ROUTES)
ROUTE_OWNER: dict[str, Any] = {}
for _module in ROW_MODULES:
    assert not set(_module.ROUTES) & set(ROUTES), f"{_module.__name__} declares routes declared elsewhere"
    ROUTES.update(_module.ROUTES)
    ROUTE_OWNER.update(dict.fromkeys(_module.ROUTES, _module))
# Routes covered elsewhere: Django's admin (its own permission system) and static files.
UNDECLARED_PREFIXES = ("admin/",)


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found.extend(_routes(entry.url_patterns, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern):
            found.append(prefix + str(entry.pattern))
    return found


def test_every_route_has_a_declared_permission_row():
    routes = {route for route in _routes(get_resolver().url_patterns) if not route.startswith(UNDECLARED_PREFIXES)}

    assert routes - set(ROUTES) == set(), "declare the expected status of each new route in ROUTES"
    assert set(ROUTES) - routes == set(), "ROUTES declares a route that no longer exists"


@pytest.fixture
def world(catalogue, make_user, monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    roles = {
        "student": Role.STUDENT, "other_student": Role.STUDENT, "auditor": Role.AUDITOR, "curator": Role.CURATOR,
        "maintainer": Role.TOOLCHAIN_MAINTAINER, "instructor": Role.INSTRUCTOR, "steward": Role.STEWARD,
        "administrator": Role.ADMINISTRATOR,
    }  # fmt: skip
    users = {name: make_user(role) for name, role in roles.items()}
    for module in ROW_MODULES:
        users.update({name: make_user(*module_roles) for name, module_roles in module.VISITORS.items()})
    notebook = Notebook.objects.get(slug="short")
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=users["student"], parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512,
    )  # fmt: skip
    other_run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=users["student"], parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512,
    )  # fmt: skip
    world = {"users": users, "run": run, "other_run": other_run}
    for module in ROW_MODULES:
        world[module.__name__] = module.world(users, make_user)
    return world


def _url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str:
    module = ROUTE_OWNER.get(route)
    if module is not None:
        path = module.url(route, world[module.__name__], visitor, make_user)
        if path is not None:
            return str(path)
    if "applications/<int:pk>" in route:  # a pending application of someone else, new for every request
        pk = RoleApplication.objects.create(applicant=make_user(), role=Role.CURATOR, motivation="x").pk
    else:
        pk = world["run"].pk
    values = {
        "<int:pk>": str(pk),
        "<slug:slug>": "ch1" if route.startswith("guide/") else "short",
        "<slug:version>": "v1",
        "<str:username>": world["users"]["student"].username,
        "<uidb64>": "MQ",
        "<token>": "wrong-token",
    }
    path = "/" + route
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    if route == "runs/compare/":
        path += f"?a={world['run'].pk}&b={world['other_run'].pk}"
    return path


def _body_type(path: str) -> dict[str, str]:
    """An API write is sent as JSON (the API's body type), an upload as multipart; pages get the default form."""
    view = getattr(resolve(path.split("?")[0]).func, "view_class", None)
    parsers = getattr(view, "parser_classes", None)
    if parsers is None or any(issubclass(parser, MultiPartParser) for parser in parsers):
        return {}
    return {"content_type": "application/json"}


def _expected(expectations: dict[str, int], visitor: str) -> int:
    return expectations.get(visitor, expectations.get("*", 200))


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_answers_each_visitor_as_declared(route, world, guide_imported, make_user):
    failures = []
    for method, expectations in ROUTES[route].items():
        for visitor in VISITORS:
            # State-changing requests get a fresh object each time, so earlier visitors do not change the answer.
            if method == "POST" and "runs/<int:pk>" in route:
                world["run"] = Run.objects.create(
                    notebook=world["run"].notebook, version=world["run"].version, owner=world["users"]["student"],
                    parameters=world["run"].parameters, timeout_seconds=60, memory_limit_mb=512,
                )  # fmt: skip
                if visitor == "administrator":
                    Run.objects.filter(pk=world["run"].pk).update(status=Run.Status.SUCCEEDED)
            # Each visitor arrives as its own client: rate limits counted per client (password reset) start afresh.
            cache.clear()
            RateCounter.objects.all().delete()
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            if visitor != "anonymous":
                client.force_login(world["users"][visitor])
            path = _url(route, world, visitor, make_user)
            response = getattr(client, method.lower())(path, **(_body_type(path) if method != "GET" else {}))
            if response.status_code != _expected(expectations, visitor):
                failures.append(
                    f"{method} {route} as {visitor}: {response.status_code}, declared {_expected(expectations, visitor)}"
                )
    assert failures == []


@pytest.fixture
def guide_imported():
    from guide.services import guide_import

    guide_import(actor=None)
