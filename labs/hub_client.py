"""The portal's calls to JupyterHub's REST API and, through the Hub's proxy, to a student's Jupyter server.

The portal is the Hub's "portal" service (hub/jupyterhub_config.py gives its token the scopes to list users,
create them, start their servers and reach their servers' contents API). Every failure to reach the Hub or
a server becomes `HubUnavailable`, which pages answer softly ("the lab is not available now").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.errors import ServiceUnavailable


class HubUnavailable(ServiceUnavailable):
    """The Hub (or the student's lab server) did not answer as expected."""


@dataclass(frozen=True)
class LabServer:
    username: str
    started: datetime | None
    last_activity: datetime | None
    ready: bool


def hub_username(username: str) -> str:
    """The Hub's name for a portal user: JupyterHub lowercases the names it is given."""
    return username.lower()


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None


class HubClient:
    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = (url if url is not None else settings.HUB_URL).rstrip("/")
        self.token = token if token is not None else settings.HUB_API_TOKEN
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"

    @property
    def configured(self) -> bool:
        return bool(self.url and self.token)

    def _call(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200,), timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        if not self.configured:
            raise HubUnavailable(
                "JupyterHub is not configured on this portal (HUB_URL, HUB_API_TOKEN).", code="service_unavailable"
            )
        try:
            response = self.session.request(
                method, self.url + path, timeout=timeout or settings.HUB_API_TIMEOUT, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            raise HubUnavailable(
                _("JupyterHub cannot be reached just now: try again in a minute."), code="service_unavailable"
            ) from error
        if response.status_code not in ok:
            raise HubUnavailable(
                f"JupyterHub answered {response.status_code} to {method} {path.split('?')[0]}.", code="service_unavailable"
            )
        return response

    def _user_path(self, name: str) -> str:
        return f"/hub/api/users/{quote(hub_username(name), safe='')}"

    def servers(self) -> dict[str, LabServer]:
        """Everyone's running default server, by Hub user name."""
        users = self._call("GET", "/hub/api/users?state=active&limit=1000").json()
        items = users.get("items", users) if isinstance(users, dict) else users
        found: dict[str, LabServer] = {}
        for user in items:
            server = (user.get("servers") or {}).get("")
            if server:
                found[user["name"]] = LabServer(
                    user["name"], _when(server.get("started")), _when(server.get("last_activity")), bool(server.get("ready"))
                )
        return found

    def ensure_server(self, name: str) -> None:
        """The user exists on the Hub and their server is running (started and waited for when it was not)."""
        user = self._call("GET", self._user_path(name), ok=(200, 404))
        if user.status_code == 404:
            self._call("POST", self._user_path(name), ok=(201, 409))
        elif ((user.json().get("servers") or {}).get("") or {}).get("ready"):
            return
        # A Hub that waits for the spawn before answering (its slow_spawn_timeout, 10 s by default) answers 202 then.
        started = self._call("POST", self._user_path(name) + "/server", ok=(201, 202, 400), timeout=30)  # 400: starting
        if started.status_code == 201:
            return
        deadline = time.monotonic() + settings.HUB_SPAWN_WAIT_SECONDS
        while time.monotonic() < deadline:
            server = (self._call("GET", self._user_path(name)).json().get("servers") or {}).get("") or {}
            if server.get("ready"):
                return
            if not server.get("pending") and not server:
                raise HubUnavailable(_("Your lab server did not start: try again in a minute."), code="service_unavailable")
            time.sleep(0.5)
        raise HubUnavailable(_("Your lab server is still starting: try again in a minute."), code="service_unavailable")

    def _contents(self, name: str, path: str) -> str:
        return f"/user/{quote(hub_username(name), safe='')}/api/contents/{quote(path)}"

    def put_notebook(self, name: str, path: str, notebook: dict[str, Any]) -> None:
        """Writes `notebook` at `path` in the user's workspace (its folders made first)."""
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            self._call("PUT", self._contents(name, "/".join(parts[:depth])), ok=(200, 201), json={"type": "directory"})
        self._call(
            "PUT", self._contents(name, path), ok=(200, 201), json={"type": "notebook", "format": "json", "content": notebook}
        )

    def get_notebook(self, name: str, path: str) -> dict[str, Any] | None:
        """The notebook at `path` in the user's running server; None when there is no such file."""
        response = self._call("GET", self._contents(name, path) + "?type=notebook&content=1", ok=(200, 404))
        if response.status_code == 404:
            return None
        content = response.json().get("content")
        return content if isinstance(content, dict) else None

    def lab_url(self, name: str, path: str) -> str:
        return f"{self.url}/user/{quote(hub_username(name), safe='')}/lab/tree/{quote(path)}"
