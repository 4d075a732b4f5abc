"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.db_guards import install_audit_guards, remove_audit_guards
from accounts.models import AuditLogEntry, Role, User
from governance.db_guards import install_quarter_guards, remove_quarter_guards
from notebooks.engine.kernels import close_pool
from notebooks.models import Notebook
from notebooks.services import catalogue_sync
from tests.accounts.factories import UserFactory
from tests.notebooks import builders
from tests.object_storage import S3Server, s3_storages, start_s3_server
from tests.oidc import server as oidc_server
from tests.oidc.server import OidcProvider


@pytest.fixture(autouse=True)
def _audit_log_guards(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keeps the audit log's append-only triggers in place during every test that touches the database.

    Transactional tests end with a flush of every table, which the triggers would refuse; they are lifted
    for that flush only and restored before the next test.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction"))
    )
    uses_db = transactional or marker is not None or "db" in request.fixturenames
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    install_audit_guards(connection)
    install_quarter_guards(connection)
    yield
    if transactional:
        remove_audit_guards(connection)
        remove_quarter_guards(connection)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(*roles: str, **kwargs: Any) -> User:
        user: User = UserFactory(roles=list(roles), **kwargs)  # type: ignore[assignment]
        return user

    return make


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """`api(user)`: an API client signed in as `user` by token (None: anonymous)."""

    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def browser_client() -> Callable[[User | None], Client]:
    """`browser_client(user)`: a page client that enforces CSRF like a real browser session."""

    def client_for(user: User | None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        return client

    return client_for


@pytest.fixture(scope="session", autouse=True)
def _close_kernel_pool() -> Iterator[None]:
    yield
    close_pool()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's standalone S3 server on a free localhost port, for the whole session (started on first use)."""
    yield from start_s3_server(tmp_path_factory.mktemp("moto") / "moto_server.log")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """A real OpenID Connect provider (node-oidc-provider) on a free localhost port, for the whole session."""
    if not oidc_server.available():
        pytest.fail("tests/oidc is not installed: run bin/test (npm ci --prefix tests/oidc)")
    yield from oidc_server.start_oidc_provider(tmp_path_factory.mktemp("oidc") / "provider.log")


@pytest.fixture
def s3_bucket(s3_server: S3Server, settings) -> str:
    """A fresh bucket that this test process's default storage writes to, as a portal with
    AWS_STORAGE_BUCKET_NAME set would."""
    bucket = s3_server.new_bucket()
    settings.STORAGES = s3_storages(s3_server, bucket, settings.STORAGES)
    return bucket


@pytest.fixture
def catalogue(tmp_path: Path, settings) -> Path:
    """A catalogue of the test notebooks, synced, with scratch and media under the test's temp dir."""
    root = builders.write_catalogue(
        tmp_path / "catalogue",
        [builders.SHORT, builders.READS_DATA, builders.SLEEPS, builders.LOOPS, builders.FAILS, builders.HOG,
         builders.HUGE_ALLOC, builders.EXITS, builders.CHATTY, builders.SECRETS, builders.THREADS, builders.HOSTILE],
    )  # fmt: skip
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    report = catalogue_sync(actor=None, root=root)
    assert not report.invalid, report.invalid
    return root


@pytest.fixture
def nb(catalogue):
    def get(slug: str) -> Notebook:
        return Notebook.objects.get(slug=slug)

    return get


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Asserts the portal's JSON error shape and returns its `error` object."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "fields"} <= set(error), error
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def audit_actions() -> list[str]:
    return list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True))


__all__ = ["Role", "assert_error", "audit_actions"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Pages cache aggregates for a minute (statistics, dashboard charts); every test starts without them."""
    from django.core.cache import cache

    cache.clear()
