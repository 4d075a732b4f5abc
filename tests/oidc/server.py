"""A real OpenID Connect provider for the tests: node-oidc-provider (`tests/oidc/provider.mjs`), started once per
test session on a free localhost port, only when a test asks for it (the `oidc_provider` fixture)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.object_storage import _free_port, stop_process

HERE = Path(__file__).resolve().parent
CLIENT_ID = "go3s-portal"
CLIENT_SECRET = "go3s-portal-test-secret"
PROVIDER_ID = "uni"
# A loopback redirect of a "native" client: the provider accepts it on any port (RFC 8252), so the test client
# (127.0.0.1, no port) and the live server (127.0.0.1:<port>) both complete sign-ins.
REDIRECT_URI = f"http://127.0.0.1/accounts/social/oidc/{PROVIDER_ID}/login/callback/"
ACCOUNTS = {"ada.lovelace": "ada.lovelace@uni.example.edu", "alan.turing": "alan.turing@uni.example.edu"}


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[bytes]

    def social_app(self, name: str = "Example University") -> object:
        """Registers the provider as an administrator would in the admin: a SocialApp of provider openid_connect."""
        from allauth.socialaccount.models import SocialApp

        return SocialApp.objects.create(
            provider="openid_connect",
            provider_id=PROVIDER_ID,
            name=name,
            client_id=CLIENT_ID,
            secret=CLIENT_SECRET,
            settings={"server_url": self.issuer},
        )


def available() -> bool:
    return shutil.which("node") is not None and (HERE / "node_modules" / "oidc-provider").is_dir()


def start_oidc_provider(log: Path) -> Iterator[OidcProvider]:
    """Starts the provider and waits until it says it listens; stops it when the generator is closed."""
    port = _free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(port), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=HERE,
        )
        try:
            deadline = time.monotonic() + 30
            while b"ready " not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the OpenID Connect provider did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
            yield OidcProvider(issuer=f"http://127.0.0.1:{port}", process=process)
        finally:
            stop_process(process)


def sign_in_at_provider(authorize_url: str, login: str) -> str:
    """Does in plain HTTP what a person does in the browser at the provider: follows the authorization request to
    its login form, signs in, consents, and returns the URL the provider sends the browser back to (the portal's
    callback with the code)."""
    import re
    from urllib.parse import urljoin

    import requests

    session = requests.Session()
    response = session.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(12):
        location = response.headers.get("Location")
        if location is not None:
            target = urljoin(response.url, location)
            if target.startswith(REDIRECT_URI.split("/accounts/")[0]) and "/accounts/" in target:
                return target
            response = session.get(target, allow_redirects=False, timeout=10)
            continue
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        if action is None:
            raise AssertionError(f"the provider answered neither a redirect nor a form: {response.text[:500]}")
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
        if 'name="login"' in response.text:
            fields.update({"login": login, "password": f"{login}-password"})
        response = session.post(urljoin(response.url, action.group(1)), data=fields, allow_redirects=False, timeout=10)
    raise AssertionError("the provider's sign-in did not end in a redirect to the portal")
