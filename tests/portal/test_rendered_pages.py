"""Every page of the URL resolver, rendered in Chinese (the default UI) as every role, shows sentences, never Python reprs
(`{'…': …}`, `['…']`, `<object at 0x…>`). Routes and objects come from the permission matrix, so a new page is
checked as soon as it has a row there."""

from __future__ import annotations

import re

import pytest
from django.test import Client

import tests.portal.test_permission_matrix as matrix

# The matrix's fixtures, used here under the same names.
world = matrix.world
guide_imported = matrix.guide_imported

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "student", "instructor", "auditor", "curator", "maintainer", "steward", "administrator"]
REPR = re.compile(r"\{'|\{&#x27;|\['|\[&#x27;|&lt;[\w.]+ object at 0x| object at 0x[0-9a-f]+>")
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _pages() -> list[str]:
    return [
        route
        for route, methods in sorted(matrix.ROUTES.items())
        if "GET" in methods and not route.startswith(("api/v1/", "api/schema/", "jsi18n/"))
    ]


def test_the_repr_check_sees_a_dict_repr():
    assert REPR.search("<td>{&#x27;state&#x27;: &#x27;draft&#x27;}</td>")
    assert REPR.search("<td>['a', 'b']</td>") and not REPR.search("<td>state: draft; a, b</td>")


def test_no_page_shows_a_python_repr(world, guide_imported, make_user):
    found = []
    checked = 0
    for role in ROLES:
        for language in ("zh-hans",):  # a repr does not depend on the language; Chinese is the default UI
            client = Client(HTTP_ACCEPT_LANGUAGE=language)
            if role != "anonymous":
                client.force_login(world["users"][role])
            for route in _pages():
                if matrix._expected(matrix.ROUTES[route]["GET"], role) != 200:
                    continue
                response = client.get(matrix._url(route, world, role, make_user))
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                checked += 1
                html = SCRIPT.sub("", response.content.decode())
                for match in REPR.finditer(html):
                    found.append(f"{role} {language} {route}: …{html[max(0, match.start() - 60) : match.end() + 60]}…")
    assert checked > 150
    assert found == []
