"""The kernel's sandbox: bubblewrap (Debian's `bubblewrap` package) around every notebook kernel.

What a kernel sees: `/usr` and a few files of `/etc`, the Python it runs on and the kernel environment
(read-only), the catalogue and the shared folders such as the evaluation packages (read-only), its own
home (the connection file, its sockets, `TMPDIR`) and its run's scratch directory at `/scratch`
(writable). Not the portal's source, `var/`, the database file, other runs' scratch, nor the runner's
processes (a new PID namespace: `/proc` shows the kernel's own processes only). The network namespace is
new as well: loopback only, nothing beyond it.

Who it runs as: a runner started as root (containers, CI) makes the mounts as root and then drops to
NOTEBOOK_SANDBOX_UID (`nobody` by default) with no capabilities and `no_new_privs` (util-linux's
`setpriv`), so the kernel is an unprivileged user outside the sandbox too. A runner that is itself an
ordinary user runs bubblewrap unprivileged in a new user namespace, where the kernel is that uid inside;
outside it is still the runner's user, so the mount namespace is what keeps the portal's files out of view.

The runner refuses to start kernels unsandboxed outside DEBUG unless NOTEBOOK_ALLOW_UNSANDBOXED is set,
and says why (`SandboxRefused`).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCRATCH_INSIDE = "/scratch"
ETC_FILES = (
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/ld.so.cache",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/mime.types",
)


def gpu_devices() -> list[str]:
    """The host's NVIDIA device nodes (/dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm, …), if any."""
    return sorted(str(path) for path in Path("/dev").glob("nvidia*") if not path.is_dir())


class SandboxRefused(RuntimeError):
    """The runner will not start a kernel: no working sandbox, and running without one was not allowed."""


@dataclass(frozen=True)
class Sandbox:
    bwrap: str
    setpriv: str | None  # set when the runner is root: drop to `uid` inside, after the mounts
    uid: int

    def command(
        self, argv: list[str], *, home: str, scratch: str, readonly: Iterable[str | Path], network: bool = False
    ) -> list[str]:
        """`argv` wrapped: run inside the sandbox with `home` and `scratch` writable, `readonly` read-only.

        `network=True` keeps the host's network (a student's JupyterLab server, hub/spawner.py, must be
        reachable by JupyterHub's proxy); a notebook run's kernel never gets it."""
        binds: list[tuple[str, str, str]] = [("--ro-bind", "/usr", "/usr")]
        for name in ("bin", "lib", "lib64", "sbin"):
            path = Path("/") / name
            if path.is_symlink():
                binds.append(("--symlink", str(os.readlink(path)), str(path)))
            elif path.is_dir():
                binds.append(("--ro-bind", str(path), str(path)))
        binds += [("--ro-bind-try", name, name) for name in ETC_FILES]
        for kept in sorted({str(Path(p)) for p in readonly if Path(p).exists()}):
            binds.append(("--ro-bind", kept, kept))
        binds += [("--bind", home, home), ("--bind", scratch, SCRATCH_INSIDE)]
        args = [self.bwrap, "--die-with-parent", "--unshare-pid", *([] if network else ["--unshare-net"])]
        args += ["--unshare-ipc", "--unshare-uts"]
        args += ["--unshare-cgroup-try", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]  # noqa: S108
        if self.setpriv is None:
            args += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.uid)]
        # Parents that bubblewrap would create 0700 (unreadable once the uid is dropped) are made 0755 first.
        made = {"/", "/tmp", "/proc", "/dev"}  # noqa: S108
        for _kind, _source, target in binds:
            for parent in reversed(Path(target).parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
        for kind, source, target in binds:
            args += [kind, source, target]
        # A GPU runner's devices (the NVIDIA driver's nodes) are passed in; nothing else of the host's /dev.
        for device in gpu_devices():
            args += ["--dev-bind-try", device, device]
        args += ["--chdir", home, "--"]
        if self.setpriv is not None:
            gid = str(self.uid)
            args += [self.setpriv, f"--reuid={self.uid}", f"--regid={gid}", "--clear-groups"]
            args += ["--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
        return args + argv

    def own(self, path: str | Path) -> None:
        """Gives the sandbox's user a directory the runner made (only needed when the runner is root)."""
        if self.setpriv is not None:
            os.chown(path, self.uid, self.uid, follow_symlinks=False)


def _bubblewrap_problem(bwrap: str | None, setpriv: str | None, uid: int) -> str | None:
    """Why bubblewrap cannot sandbox a process here (None: it can), from running `true` inside one."""
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    if os.geteuid() == 0 and setpriv is None:
        return "setpriv (util-linux) is missing: the kernel could not drop root"
    probe = Sandbox(bwrap=bwrap, setpriv=setpriv, uid=uid)
    with tempfile.TemporaryDirectory(prefix="go3s-sandbox-probe-") as home:
        probe.own(home)
        command = probe.command(["/usr/bin/touch", f"{SCRATCH_INSIDE}/ok"], home=home, scratch=home, readonly=[])
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not run: {error}"
    if result.returncode != 0:
        return f"bubblewrap cannot create its namespaces here: {result.stderr.strip()[:300]}"
    return None


def sandbox_for(uid: int) -> Sandbox | None:
    """The sandbox for processes running as `uid`, or None where bubblewrap cannot work here; for callers
    outside Django (JupyterHub's spawner) that decide themselves what to do without one."""
    return _probe(uid)[0]


@functools.cache
def _probe(uid: int) -> tuple[Sandbox | None, str]:
    bwrap = shutil.which("bwrap")
    setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
    problem = _bubblewrap_problem(bwrap, setpriv, uid)
    if problem is not None or bwrap is None:
        return None, problem or "bubblewrap is not installed"
    return Sandbox(bwrap=bwrap, setpriv=setpriv, uid=uid), ""


def runner_sandbox() -> Sandbox | None:
    """The sandbox kernels start in, or None where running unsandboxed is allowed (DEBUG, or
    NOTEBOOK_ALLOW_UNSANDBOXED); raises SandboxRefused, saying why, where it is not."""
    from django.conf import settings

    if settings.NOTEBOOK_SANDBOX:
        sandbox, problem = _probe(settings.NOTEBOOK_SANDBOX_UID)
        if sandbox is not None:
            return sandbox
    else:
        problem = "NOTEBOOK_SANDBOX is off"
    if settings.DEBUG or settings.NOTEBOOK_ALLOW_UNSANDBOXED:
        log.warning("notebook kernels run WITHOUT a sandbox (%s): a run can read what the runner's user can", problem)
        return None
    raise SandboxRefused(
        f"the runner will not start notebook kernels without a sandbox outside DEBUG: {problem}. "
        "Install bubblewrap, or set NOTEBOOK_ALLOW_UNSANDBOXED=1 to accept that runs can read the runner's files."
    )
