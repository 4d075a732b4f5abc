"""JupyterHub beside the portal: sign-in through the portal (OAuth 2), labs in the runs' sandbox, idle culling.

Run with `.venv/bin/jupyterhub -f hub/jupyterhub_config.py` (bin/up does, with the variables below set from
`var/hub/hub.env`, which `manage.py hub_setup` writes). Every value comes from the environment:

  GO3S_PORTAL_URL          the portal as the students' browsers reach it (http://127.0.0.1:8000)
  GO3S_PORTAL_INTERNAL_URL the portal as the Hub reaches it for tokens and userinfo (default: GO3S_PORTAL_URL)
  GO3S_HUB_URL             the Hub as browsers reach it (http://127.0.0.1:8001): the proxy listens there
  GO3S_HUB_API_PORT        the Hub's own API port on 127.0.0.1 (8081); GO3S_HUB_PROXY_API_PORT the proxy's (8002)
  GO3S_HUB_OAUTH_CLIENT_ID, GO3S_HUB_OAUTH_CLIENT_SECRET   the portal's OAuth application for the Hub
  GO3S_HUB_API_TOKEN       the token of the "portal" service (lists servers, copies notebooks in and out)
  GO3S_HUB_DATA_DIR        the Hub's state: database, cookie secret, the users' homes (var/hub)
  GO3S_HUB_IDLE_TIMEOUT    seconds of inactivity before a lab server is stopped (3600)
  GO3S_LAB_MEMORY_MB, GO3S_LAB_CPUS   each lab's memory (4096) and cores (1)
  GO3S_CATALOGUE_DIR       the catalogue the labs read (its `data` is linked into every home)
  GO3S_LAB_GPUS            CUDA_VISIBLE_DEVICES of the labs on a GPU runner ('' hides GPUs)
"""

# ruff: noqa: F821  (`c` is the configuration object JupyterHub provides)
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spawner import SandboxedSpawner  # noqa: E402


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip() or default
    if value is None:
        raise SystemExit(f"hub/jupyterhub_config.py: the environment variable {name} is required")
    return value


portal_url = _env("GO3S_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
portal_internal = _env("GO3S_PORTAL_INTERNAL_URL", portal_url).rstrip("/")
hub_url = _env("GO3S_HUB_URL", "http://127.0.0.1:8001").rstrip("/")
data_dir = Path(_env("GO3S_HUB_DATA_DIR", str(HERE.parent / "var" / "hub"))).resolve()
data_dir.mkdir(parents=True, exist_ok=True)

c = get_config()  # type: ignore[name-defined]
c.JupyterHub.bind_url = hub_url + "/"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{_env('GO3S_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_env('GO3S_HUB_PROXY_API_PORT', '8002')}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{data_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(data_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(data_dir / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.default_url = "/hub/home"
# A start request answers at once (202) and the portal polls for readiness, instead of holding the request.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

# One sign-in: the portal is the identity provider. Roles arrive as groups; only portal administrators
# administer the Hub; people with no student, instructor or administrator role cannot sign in.
c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.client_id = _env("GO3S_HUB_OAUTH_CLIENT_ID", "go3s-hub")
c.GenericOAuthenticator.client_secret = _env("GO3S_HUB_OAUTH_CLIENT_SECRET")
c.GenericOAuthenticator.oauth_callback_url = f"{hub_url}/hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = f"{portal_url}/o/authorize/"
c.GenericOAuthenticator.token_url = f"{portal_internal}/o/token/"
c.GenericOAuthenticator.userdata_url = f"{portal_internal}/oauth/userinfo/"
c.GenericOAuthenticator.scope = ["profile"]
c.GenericOAuthenticator.username_claim = "username"
c.GenericOAuthenticator.login_service = "Go3s portal"
c.GenericOAuthenticator.manage_groups = True
c.GenericOAuthenticator.auth_state_groups_key = "oauth_user.groups"
c.GenericOAuthenticator.allowed_groups = {"student", "instructor", "administrator"}
c.GenericOAuthenticator.admin_groups = {"administrator"}
c.GenericOAuthenticator.auto_login = True

c.JupyterHub.spawner_class = SandboxedSpawner
c.SandboxedSpawner.homes_dir = str(data_dir / "homes")
c.SandboxedSpawner.catalogue_dir = _env("GO3S_CATALOGUE_DIR", str(HERE.parent / "catalogue"))
c.SandboxedSpawner.default_url = "/lab"
c.SandboxedSpawner.mem_limit = f"{int(_env('GO3S_LAB_MEMORY_MB', '4096'))}M"
c.SandboxedSpawner.cpu_limit = float(_env("GO3S_LAB_CPUS", "1"))
c.SandboxedSpawner.gpus = _env("GO3S_LAB_GPUS", "")
c.SandboxedSpawner.require_sandbox = int(_env("GO3S_LAB_REQUIRE_SANDBOX", "1"))
c.SandboxedSpawner.start_timeout = 120
c.SandboxedSpawner.http_timeout = 60

# The portal's own service: who has a server running, starting one, copying a notebook in and a submission out.
c.JupyterHub.services = [
    {"name": "portal", "api_token": _env("GO3S_HUB_API_TOKEN")},
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={int(_env('GO3S_HUB_IDLE_TIMEOUT', '3600'))}"],
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "portal",
        "scopes": ["list:users", "read:users", "read:servers", "admin:users", "servers", "access:servers"],
        "services": ["portal"],
    },
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
]
