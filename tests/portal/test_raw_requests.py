"""Bad input at the HTTP level never becomes a 500: raw requests over a socket to the live server, with
headers a client library would never send (a Content-Length of `abc`, `1e9`, `-5`), JSON nested a
thousand deep, a body that is not UTF-8. Each gets a 400 or 413 with the portal's JSON error; the same
endpoints still answer a well-formed request (the partner tests)."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from accounts.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

JSON_ENDPOINTS = ["/api/v1/auth/token/", "/api/v1/runs/", "/api/v1/audits/", "/api/v1/sponsorship/quarters/"]
UPLOAD_ENDPOINTS = [
    "/api/v1/models/",
    "/api/v1/notebooks/check/",
    "/api/v1/datasets/x/import/",
    "/api/v1/courses/1/enrolments/csv/",
]


def raw(server: Any, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Sends the request bytes as written and half-closes, so a short body ends at EOF rather than hanging."""
    address = urlparse(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + body)
        sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def request_head(path: str, *, token: str | None, content_length: str, content_type: str = "application/json") -> str:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        "Connection: close",
        f"Content-Type: {content_type}",
        f"Content-Length: {content_length}",
    ]
    if token:
        lines.append(f"Authorization: Token {token}")
    return "\n".join(lines) + "\n\n"


def error_code(body: bytes) -> str:
    return str(json.loads(body)["error"]["code"])


@pytest.fixture
def token(make_user) -> str:
    user = make_user(Role.STEWARD, Role.AUDITOR, Role.CURATOR, Role.STUDENT)
    return Token.objects.create(user=user).key


@pytest.mark.parametrize("path", JSON_ENDPOINTS + UPLOAD_ENDPOINTS)
@pytest.mark.parametrize("length", ["abc", "1e9", "-5", "0x10", " 12 3", "9" * 40])
def test_a_malformed_content_length_is_400_json(live_server, token, path, length):
    status, body = raw(live_server, request_head(path, token=token, content_length=length), b'{"a": 1}')

    assert status == 400
    assert error_code(body) == "bad_request"


@pytest.mark.parametrize("path", UPLOAD_ENDPOINTS)
def test_a_declared_length_over_every_limit_is_413_naming_it_before_the_body_is_read(live_server, token, path):
    status, body = raw(live_server, request_head(path, token=token, content_length=str(10**12)), b"x" * 10)

    assert status == 413
    assert error_code(body) == "too_large" and "MB" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_json_nested_a_thousand_deep_is_400(live_server, token, path):
    body = b"[" * 1000 + b"]" * 1000
    status, answer = raw(live_server, request_head(path, token=token, content_length=str(len(body))), body)

    assert status == 400
    assert "nested" in json.loads(answer)["error"]["message"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "body", [b'{"username": "\xff\xfe"}', b"\xfe\xff\x00{", b'{"a": 1e999999}', b'{"a": ' + b"1" * 5000 + b"}"]
)
def test_a_body_that_is_not_utf8_json_is_400(live_server, token, path, body):
    status, answer = raw(live_server, request_head(path, token=token, content_length=str(len(body))), body)

    assert status == 400
    assert error_code(answer) in {"parse_error", "invalid"}


def test_a_json_body_over_the_limit_is_413(live_server, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({"notebook": "x", "parameters": {"p": "a" * 8000}}).encode()
    status, answer = raw(live_server, request_head("/api/v1/runs/", token=token, content_length=str(len(body))), body)

    assert status == 413 and error_code(answer) == "too_large"


def test_partner_a_well_formed_request_on_the_same_socket_path_succeeds(live_server, make_user):
    # the good thing arrives: the token endpoint answers a correct raw request with a token
    make_user(username="raw-alice", password="a-long-password-1")
    body = json.dumps({"username": "raw-alice", "password": "a-long-password-1"}).encode()
    status, answer = raw(live_server, request_head("/api/v1/auth/token/", token=None, content_length=str(len(body))), body)

    assert status == 200, answer
    assert json.loads(answer)["token"]


def test_partner_json_nested_within_the_bound_is_parsed(live_server, token):
    body = json.dumps({"notebook": "missing", "parameters": {"a": [[[[1]]]]}}).encode()
    status, answer = raw(live_server, request_head("/api/v1/runs/", token=token, content_length=str(len(body))), body)

    # parsed: the answer is about the notebook, not about the body
    assert status in {400, 404} and "nested" not in answer.decode()


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\r\n"), max_size=24)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(JSON_ENDPOINTS + UPLOAD_ENDPOINTS),
    length=st.one_of(HEADER_TEXT, st.integers(-(10**20), 10**20).map(str)),
    content_type=st.one_of(
        st.sampled_from(["application/json", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]),
        HEADER_TEXT.map(lambda charset: f"application/json; charset={charset}"),
    ),
    depth=st.integers(0, 3000),
)
def test_fuzz_headers_and_nesting_never_a_server_error(live_server, token, path, length, content_type, depth):
    body = b"[" * depth + b"]" * depth
    status, answer = raw(live_server, request_head(path, token=token, content_length=length, content_type=content_type), body)

    assert status < 500, answer[:300]
    if status >= 400:
        assert error_code(answer)
