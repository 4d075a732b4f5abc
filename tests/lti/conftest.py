"""Fixtures of the LTI tests: the test LMS running on localhost, registered in the portal, and the
browser steps of a launch (login initiation → the LMS's auth redirect → the id_token posted back)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import Role
from lti.models import Platform
from lti.services import platforms
from lti.services.platforms import platform_save
from tests.browser.conftest import browser  # noqa: F401 — the session's one Chromium, for the browser test here
from tests.courses import factories
from tests.lti.platform import Lms, RunningLms


@pytest.fixture
def lms() -> Iterator[Lms]:
    running = RunningLms()
    yield running.lms
    running.stop()


_make_key_pair = platforms.key_pair


@functools.cache
def _one_tool_key() -> tuple[str, str, str]:
    return _make_key_pair()


@pytest.fixture
def platform(lms: Lms, make_user: Callable[..., Any], client: Client, monkeypatch: pytest.MonkeyPatch) -> Platform:
    """The test LMS as an administrator registers it; the LMS then trusts the portal's published JWKS.
    The portal's key pair is made once per test process (a real one; making it takes a while)."""
    monkeypatch.setattr(platforms, "key_pair", _one_tool_key)
    admin = make_user(Role.ADMINISTRATOR)
    registered = platform_save(
        actor=admin, platform=Platform(name="Test LMS", institution=factories.institution(), **lms.registration())
    )
    lms.tool_jwks = client.get("/lti/jwks/").json()
    return registered


def login_step(client: Client, lms: Lms) -> tuple[str, str]:
    """The LMS starts the login; the portal answers with the redirect to the LMS's auth endpoint. Returns
    (state, nonce) from it, as the LMS reads them."""
    response = client.get(
        "/lti/login/",
        {
            "iss": lms.issuer,
            "login_hint": "hint-1",
            "target_link_uri": "http://testserver/lti/launch/",
            "client_id": lms.client_id,
        },
    )
    assert response.status_code == 302, response.content[:300]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{lms.base}/auth"
    query = parse_qs(location.query)
    assert query["client_id"] == [lms.client_id] and query["redirect_uri"] == ["http://testserver/lti/launch/"]
    return query["state"][0], query["nonce"][0]


@pytest.fixture
def do_launch(client: Client, lms: Lms, platform: Platform) -> Callable[..., Any]:
    """Runs a whole launch in `client`; `tamper(body) -> token` may replace the signing step."""

    def run(*, tamper: Callable[[dict[str, Any]], str] | None = None, **claims: Any) -> Any:
        state, nonce = login_step(client, lms)
        body = lms.claims(nonce, **claims)
        token = tamper(body) if tamper else lms.sign(body)
        return client.post("/lti/launch/", {"id_token": token, "state": state})

    return run
