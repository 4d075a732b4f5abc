"""A real JupyterHub (and its configurable-http-proxy) for the lab tests, on free localhost ports, configured
by hub/jupyterhub_config.py exactly as bin/up starts it; stopped (with every lab server) at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.object_storage import _free_port

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Hub:
    url: str
    api_token: str
    homes: Path
    log: Path


def _read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def start_hub(*, portal_url: str, env_file: Path, catalogue: Path, workdir: Path) -> Iterator[Hub]:
    """`env_file` is what `manage.py hub_setup` wrote for this Hub's address (GO3S_HUB_URL in it)."""
    secrets = _read_env(env_file)
    log = workdir / "hub.log"
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO", "DATABASE", "SECRET"))},
        **secrets,
        "GO3S_PORTAL_URL": portal_url,
        "GO3S_HUB_API_PORT": str(_free_port()),
        "GO3S_HUB_PROXY_API_PORT": str(_free_port()),
        "GO3S_HUB_DATA_DIR": str(workdir),
        "GO3S_CATALOGUE_DIR": str(catalogue),
        "GO3S_LAB_MEMORY_MB": "2048",
    }
    command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(REPOSITORY / "hub" / "jupyterhub_config.py")]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=workdir, env=environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = secrets["GO3S_HUB_URL"]
            deadline = time.monotonic() + 90
            while True:
                try:
                    if requests.get(f"{url}/hub/api/", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterHub did not start: {log.read_text()[-3000:]}")
                time.sleep(0.25)
            yield Hub(url=url, api_token=secrets["GO3S_HUB_API_TOKEN"], homes=workdir / "homes", log=log)
        finally:
            process.terminate()  # the Hub stops its proxy and, with cleanup_servers, every lab server
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
