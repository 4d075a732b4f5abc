"""Each student's JupyterLab server, started by JupyterHub inside the notebook runs' sandbox.

The server (`jupyterhub-singleuser` from the kernel environment `.venv-kernel`, the "go3s-factory" packages)
runs under bubblewrap, built by the same code as every notebook run's kernel (notebooks/engine/sandbox.py):
it sees `/usr`, the kernel environment and the catalogue read-only, and its own home (under the Hub's data
folder) writable; not the portal's source, `var/`, the database file, the secrets or another student's home.
Unlike a run's kernel it keeps the host's network, as the Hub's proxy must reach it on localhost.

Limits: `mem_limit` is an address-space ceiling (RLIMIT_AS, as the run engine's: twice the memory, at least
2 GiB above it) on every process of the server, its kernels included; `cpu_limit` pins the server to that
many cores and lowers its priority. `gpus` says which GPUs the server may use (CUDA_VISIBLE_DEVICES): on a
GPU runner the driver's device nodes are passed into the sandbox as for GPU runs; empty hides them.
"""

from __future__ import annotations

import math
import os
import re
import resource
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Integer, Unicode

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:  # the Hub runs from hub/: the portal's sandbox builder is imported from here
    sys.path.insert(0, str(REPOSITORY))

from notebooks.engine.sandbox import sandbox_for  # noqa: E402


def safe_folder_name(username: str) -> str:
    """A user's home folder name: the Hub's name with anything but letters, digits, `.`, `_`, `-` escaped."""
    return re.sub(r"[^A-Za-z0-9._-]", lambda match: f"-{ord(match.group()):x}-", username)


def readonly_for(kernel_venv: Path, catalogue: Path) -> list[str]:
    """What a lab reads: the kernel environment (and the Python it was made from) and the catalogue."""
    paths = [catalogue.resolve(), kernel_venv, kernel_venv.resolve()]
    config = kernel_venv / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                paths.append(Path(value.strip()).resolve().parent)
    return [str(path) for path in paths]


class SandboxedSpawner(SimpleLocalProcessSpawner):
    kernel_venv = Unicode(str(REPOSITORY / ".venv-kernel"), config=True, help="The kernel environment.")
    catalogue_dir = Unicode(str(REPOSITORY / "catalogue"), config=True, help="Read-only; `data` links to its data.")
    homes_dir = Unicode(str(REPOSITORY / "var" / "hub" / "homes"), config=True, help="Each user's home is a folder here.")
    sandbox_uid = Integer(65534, config=True, help="The uid the server runs as when the Hub runs as root.")
    gpus = Unicode("", config=True, help="CUDA_VISIBLE_DEVICES of the servers (a GPU course's Hub: e.g. '0').")
    require_sandbox = Integer(1, config=True, help="0 allows starting servers without bubblewrap (development only).")

    def _home(self) -> Path:
        return Path(self.homes_dir) / safe_folder_name(self.user.name)

    def _prepare_home(self, sandbox: Any) -> Path:
        home = self._home()
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o700)
        data = home / "data"
        if not data.is_symlink() and not data.exists():
            data.symlink_to(Path(self.catalogue_dir).resolve() / "data")  # the catalogue's `../data/…` links
        if sandbox is not None:
            for path in [home, *home.rglob("*")]:
                os.chown(path, sandbox.uid, sandbox.uid, follow_symlinks=False)
        return home

    async def start(self) -> Any:
        sandbox = sandbox_for(self.sandbox_uid)
        if sandbox is None and self.require_sandbox:
            raise RuntimeError("bubblewrap cannot sandbox the lab server here: apt-get install bubblewrap")
        home = self._prepare_home(sandbox)
        self.home_dir = str(home)
        singleuser = [str(Path(self.kernel_venv) / "bin" / "jupyterhub-singleuser")]
        if sandbox is None:
            self.log.warning("starting %s's lab WITHOUT a sandbox", self.user.name)
            self.cmd = singleuser
        else:
            readonly = readonly_for(Path(self.kernel_venv), Path(self.catalogue_dir))
            self.cmd = sandbox.command(singleuser, home=str(home), scratch=str(home), readonly=readonly, network=True)
        return await super().start()

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        env["CUDA_VISIBLE_DEVICES"] = self.gpus
        env["PATH"] = f"{Path(self.kernel_venv) / 'bin'}:/usr/bin:/bin"
        env["JUPYTER_PREFER_ENV_PATH"] = "1"
        return env

    def make_preexec_fn(self, name: str) -> Any:
        home = str(self._home())
        memory_mb = math.ceil((self.mem_limit or 0) / (1024 * 1024))
        cores = math.ceil(self.cpu_limit or 0)

        def preexec() -> None:
            os.chdir(home)
            if memory_mb:
                ceiling = max(memory_mb * 2, memory_mb + 2048) * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
            if cores:
                available = sorted(os.sched_getaffinity(0))
                os.sched_setaffinity(0, available[: max(1, cores)])
                os.nice(5)

        return preexec
