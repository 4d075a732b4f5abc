"""Registers JupyterHub with the portal and writes the Hub's secrets: run by bin/up, and once on a server.

Creates (or updates) the OAuth 2 application the Hub signs people in with (confidential, authorization
code with PKCE, trusted: no consent screen, redirect to `<hub>/hub/oauth_callback`), and writes an env file
(mode 0600) with the client secret, the portal service's API token and the proxy's token. Secrets already in
the file are kept, so the command is safe to run at every start; `--rotate` makes new ones.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import get_application_model

CLIENT_ID = "go3s-hub"


def _read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() and not name.startswith("#"):
                values[name.strip()] = value.strip()
    return values


class Command(BaseCommand):
    help = "Registers JupyterHub as an OAuth 2 client of the portal and writes its secrets to an env file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--hub-url", default="http://127.0.0.1:8001", help="The Hub as browsers reach it.")
        parser.add_argument("--env-file", default=str(Path(settings.DATA_DIR) / "hub" / "hub.env"))
        parser.add_argument("--rotate", action="store_true", help="Make new secrets even if the file has some.")

    def handle(self, *args: Any, hub_url: str, env_file: str, rotate: bool, **options: Any) -> None:
        path = Path(env_file)
        if path.exists() and not path.is_file():
            raise CommandError(f"{path} is not a regular file: the secrets are written to a file of their own")
        known = {} if rotate else _read_env(path)
        values = {
            "GO3S_HUB_URL": hub_url.rstrip("/"),
            "GO3S_HUB_OAUTH_CLIENT_ID": CLIENT_ID,
            "GO3S_HUB_OAUTH_CLIENT_SECRET": known.get("GO3S_HUB_OAUTH_CLIENT_SECRET") or secrets.token_urlsafe(32),
            "GO3S_HUB_API_TOKEN": known.get("GO3S_HUB_API_TOKEN") or secrets.token_hex(32),
            "CONFIGPROXY_AUTH_TOKEN": known.get("CONFIGPROXY_AUTH_TOKEN") or secrets.token_hex(32),
        }
        Application = get_application_model()
        application = Application.objects.filter(client_id=CLIENT_ID).first() or Application(client_id=CLIENT_ID)
        application.name = "JupyterHub"
        application.client_type = Application.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        application.redirect_uris = f"{values['GO3S_HUB_URL']}/hub/oauth_callback"
        application.skip_authorization = True
        application.client_secret = values["GO3S_HUB_OAUTH_CLIENT_SECRET"]  # stored hashed
        application.save()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
        self.stdout.write(f"JupyterHub registered ({CLIENT_ID}, {application.redirect_uris}); secrets in {path}")
