"""A small LMS for the LTI tests: a real HTTP server on a free localhost port with its own RSA key.

It serves its JWKS, an OAuth2 token endpoint (client_credentials with a JWT assertion, whose signature
it checks against the portal's JWKS), AGS scores on line items, NRPS memberships and a deep-linking
return endpoint that verifies the portal's signed reply; and it builds the signed id_tokens of launches.
What the portal sent it is kept in lists the tests read.
"""

from __future__ import annotations

import functools
import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@functools.cache
def lms_key() -> tuple[rsa.RSAPrivateKey, str]:
    """The test LMS's key: one per test process (making an RSA key takes a while on a small machine)."""
    return new_key()


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key, pem.decode()


@dataclass
class Lms:
    base: str = ""
    client_id: str = "portal-client-1"
    deployment_id: str = "deployment-1"
    kid: str = "lms-key-1"
    tool_jwks: dict[str, Any] = field(default_factory=dict)  # the portal's JWKS, as its endpoint serves it
    members: list[dict[str, Any]] = field(default_factory=list)
    fail_scores: int = 0  # answer this many score posts with 503 before accepting
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_failures: int = 0
    deep_link_replies: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    next_launch: dict[str, Any] = field(default_factory=dict)  # the claims /auth signs for the next browser launch

    def __post_init__(self) -> None:
        self.key, self.private_pem = lms_key()

    @property
    def issuer(self) -> str:
        return self.base

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def registration(self) -> dict[str, Any]:
        """What the administrator copies from the LMS into the portal's admin."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": f"{self.base}/auth",
            "auth_token_url": f"{self.base}/token",
            "keyset_url": f"{self.base}/jwks",
            "deployment_ids": [self.deployment_id],
        }

    def claims(
        self,
        nonce: str,
        *,
        sub: str = "student-1",
        roles: list[str] | None = None,
        context_id: str = "ctx-1",
        resource_link_id: str = "link-1",
        message_type: str = "LtiResourceLinkRequest",
        custom: dict[str, str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": f"Person {sub}",
            "email": f"{sub}@lms.example.edu",
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": "http://testserver/lti/launch/",
            LTI + "roles": roles if roles is not None else [LEARNER],
            LTI + "context": {"id": context_id, "label": "ML101", "title": "Machine learning 101"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.base}/contexts/{context_id}/memberships",
                "service_versions": ["2.0"],
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                "lineitems": f"{self.base}/contexts/{context_id}/lineitems",
                "lineitem": f"{self.base}/contexts/{context_id}/lineitems/{resource_link_id}",
            },
        }
        if message_type == "LtiResourceLinkRequest":
            body[LTI + "resource_link"] = {"id": resource_link_id, "title": "Notebook"}
        else:
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base}/deep_link_return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "data": "opaque-data-1",
            }
        if custom:
            body[LTI + "custom"] = custom
        body.update(extra)
        return body

    def sign(self, body: dict[str, Any], *, key_pem: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(body, key_pem or self.private_pem, algorithm="RS256", headers={"kid": kid or self.kid})

    # --- what the server does ------------------------------------------------------------------------

    def _tool_key(self, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        for jwk in self.tool_jwks.get("keys", []):
            if jwk.get("kid") == kid:
                return RSAAlgorithm.from_jwk(json.dumps(jwk))
        raise jwt.InvalidTokenError(f"unknown tool key {kid!r}")

    def issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        assertion = form.get("client_assertion", "")
        try:
            claims = jwt.decode(assertion, self._tool_key(assertion), algorithms=["RS256"], audience=f"{self.base}/token")
        except jwt.InvalidTokenError as error:
            return 401, {"error": "invalid_client", "error_description": str(error)}
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(16)
        self.tokens[token] = form.get("scope", "").split()
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": form.get("scope", "")}

    def authorised(self, header: str, scope: str) -> bool:
        token = header.removeprefix("Bearer ").strip()
        return scope in self.tokens.get(token, [])

    def auth_page(self, query: dict[str, str]) -> str:
        """The LMS's OIDC authorisation endpoint as a browser sees it: a form that posts the signed id_token
        (with the tool's nonce) and the tool's state back to the redirect URI at once."""
        token = self.sign(self.claims(query["nonce"], **self.next_launch))
        return (
            f'<!doctype html><html lang="en"><title>LMS</title><form method="post" action="{html.escape(query["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
            f'<input type="hidden" name="state" value="{html.escape(query["state"])}"></form>'
            "<script>document.forms[0].submit()</script></html>"
        )

    def receive_deep_link(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        token = form.get("JWT", "")
        try:
            claims = jwt.decode(token, self._tool_key(token), algorithms=["RS256"], audience=self.issuer)
        except jwt.InvalidTokenError as error:
            return 400, {"error": str(error)}
        if claims.get("iss") != self.client_id or claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
            return 400, {"error": "not a deep-linking response from the registered tool"}
        self.deep_link_replies.append(claims)
        return 200, {"ok": True}


def _handler(lms: Lms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            return {name: values[0] for name, values in parse_qs(raw).items()}

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/jwks":
                return self._send(200, lms.jwks())
            if path == "/auth":
                page = lms.auth_page({name: values[0] for name, values in parse_qs(urlsplit(self.path).query).items()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return None
            if path.endswith("/memberships"):
                if not lms.authorised(self.headers.get("Authorization", ""), NRPS_SCOPE):
                    return self._send(401, {"error": "unauthorised"})
                return self._send(200, {"id": self.path, "context": {"id": path.split("/")[2]}, "members": lms.members})
            return self._send(404, {})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path == "/token":
                return self._send(*lms.issue_token(self._form()))
            if path == "/deep_link_return":
                return self._send(*lms.receive_deep_link(self._form()))
            if path.endswith("/scores"):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not lms.authorised(self.headers.get("Authorization", ""), SCORE_SCOPE):
                    return self._send(401, {"error": "unauthorised"})
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    return self._send(415, {})
                if lms.fail_scores > 0:
                    lms.fail_scores -= 1
                    lms.score_failures += 1
                    return self._send(503, {"error": "down for maintenance"})
                lms.scores.append({"lineitem": path.removesuffix("/scores"), **body})
                return self._send(200, {})
            return self._send(404, {})

    return Handler


class RunningLms:
    """The server in a thread; `stop()` shuts it down."""

    def __init__(self) -> None:
        self.lms = Lms()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.lms))
        self.lms.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def new_nonce() -> str:
    return uuid.uuid4().hex
