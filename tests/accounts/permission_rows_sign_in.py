"""Permission-matrix rows for sign-in with GitHub and universities (django-allauth's routes included; see
tests/portal/test_permission_matrix.py).

In this world no identity is pending and one university ("uni") is registered, whose server does not answer;
GitHub has no OAuth app (its routes answer 404, the provider being unknown). A provider's sign-in starts with a
POST (a GET asks to confirm).
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp

VISITORS: dict[str, list[str]] = {}

OIDC_PREFIX = "accounts/social/oidc/^(?P<provider_id>[^/]+)/"

ROUTES: dict[str, dict[str, dict[str, int]]] = {
    "accounts/sign-in-methods/": {"GET": {"anonymous": 302, "*": 200}, "POST": {"anonymous": 302, "*": 400}},
    "accounts/sign-in-methods/link/": {"GET": {"*": 302}, "POST": {"*": 302}},
    "accounts/social/login/": {"GET": {"*": 302}},
    "accounts/social/inactive/": {"GET": {"*": 200}},
    "accounts/social/signup/": {"GET": {"*": 302}},
    "accounts/social/login/cancelled/": {"GET": {"*": 200}},
    "accounts/social/login/error/": {"GET": {"*": 401}},
    "accounts/social/github/login/": {"GET": {"*": 404}, "POST": {"*": 404}},
    "accounts/social/github/login/callback/": {"GET": {"*": 404}},
    # The university's server does not answer in this world (502); a callback without a sign-in under way is 401.
    OIDC_PREFIX + "login/": {"GET": {"*": 200}, "POST": {"*": 502}},
    OIDC_PREFIX + "login/callback/": {"GET": {"*": 401}},
}


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    app = SocialApp.objects.create(
        provider="openid_connect", provider_id="uni", name="Uni", client_id="portal", secret="s",
        settings={"server_url": "http://127.0.0.1:9"},
    )  # fmt: skip
    return {"app": app}


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if route.startswith(OIDC_PREFIX):
        return "/accounts/social/oidc/uni/" + route.removeprefix(OIDC_PREFIX)
    return None
