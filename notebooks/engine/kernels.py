"""Kernels started ahead of the runs that will use them.

Starting a kernel and connecting its client costs about half a second (seconds more when the notebook
imports torch); that is most of a short notebook's run time under bare papermill. Each runner process
keeps a small pool of kernels already started, connected and ready (optionally with heavy modules
imported), hands each one to exactly one run and discards it afterwards, so no state leaks between runs,
and refills the pool one kernel at a time.

All kernel I/O happens on one asyncio loop in a background thread: the pool's kernels, their clients
and nbclient's execution share it, which is what zmq's asyncio sockets require.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil
from jupyter_client.manager import AsyncKernelManager

from notebooks.engine.sandbox import SCRATCH_INSIDE, Sandbox, runner_sandbox

log = logging.getLogger(__name__)
T = TypeVar("T")

# The only variables a kernel inherits from the runner: nothing that could hold a portal secret.
PASSED_THROUGH = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


def kernel_environment(home: str, threads: int = 0) -> dict[str, str]:
    """The whole environment of a kernel. `threads` > 0 caps BLAS/OpenMP/torch threads (runners that run
    several kernels on few cores); 0 leaves the libraries' own defaults."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    if threads > 0:
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    env.update(
        {
            "HOME": home,
            "TMPDIR": home,
            # The inline backend: `plt.show()` and a figure left open at the end of a cell become
            # image/png outputs, in the stored .ipynb and the rendered page alike (as in JupyterLab).
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
            "PYTHONUNBUFFERED": "1",
            "MALLOC_ARENA_MAX": "2",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "HF_HUB_OFFLINE": "1",
            "NO_PROXY": "*",
        }
    )
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    return env


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside the runner's sandbox (notebooks/engine/sandbox.py)."""

    sandbox: Sandbox | None = None
    sandbox_home = ""
    sandbox_scratch = ""
    sandbox_readonly: tuple[str, ...] = ()

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        # A pooled kernel serves one run and is thrown away: IPython's input history (an SQLite write after
        # every cell, on the run's critical path) would only be a file nobody reads.
        command = [*super().format_kernel_cmd(extra_arguments), "--HistoryManager.enabled=False"]
        if self.sandbox is None:
            return command
        self.sandbox.own(self.connection_file)  # written by now; the kernel reads it as the sandbox's user
        # In its own PID namespace the kernel cannot see the runner's pid (JPY_PARENT_PID) and would take
        # the runner for dead; bubblewrap's --die-with-parent ends it with the runner instead.
        command = [*command, "--IPKernelApp.parent_handle=1"]
        return self.sandbox.command(command, home=self.sandbox_home, scratch=self.sandbox_scratch, readonly=self.sandbox_readonly)


def sandbox_readonly(kernel_argv0: str) -> tuple[str, ...]:
    """What a sandboxed kernel reads: its environment and the Python under it, the catalogue, the shared folders."""
    from django.conf import settings

    paths = [Path(settings.NOTEBOOK_CATALOGUE_DIR).resolve()]
    paths += [Path(shared).resolve() for shared in settings.NOTEBOOK_SHARED_DIRS.values()]
    venv = Path(kernel_argv0).parent.parent
    paths += [venv, venv.resolve()]
    config = venv / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                paths.append(Path(value.strip()).resolve().parent)
    return tuple(str(path) for path in paths)


def pool_key() -> tuple[str, ...]:
    """What a pooled kernel's sandbox was built for; a kernel built for other folders is not handed out."""
    from django.conf import settings

    shared = [str(Path(path).resolve()) for path in settings.NOTEBOOK_SHARED_DIRS.values()]
    return (str(Path(settings.NOTEBOOK_CATALOGUE_DIR).resolve()), str(Path(settings.NOTEBOOK_SCRATCH_DIR).resolve()), *shared)


@dataclass
class PooledKernel:
    manager: AsyncKernelManager
    client: Any
    home: str
    started_at: float = field(default_factory=time.monotonic)
    sandbox: Sandbox | None = None
    slot: str | None = None  # the sandbox's /scratch: the run's scratch directory is this folder, renamed
    key: tuple[str, ...] = ()

    @property
    def pid(self) -> int | None:
        """The kernel's own process (inside a sandbox: the Python below bubblewrap), for limits and the watchdog."""
        provisioner = getattr(self.manager, "provisioner", None)
        process = getattr(provisioner, "process", None)
        outer: int | None = getattr(process, "pid", None)
        if self.sandbox is None or outer is None:
            return outer
        try:
            below = psutil.Process(outer).children(recursive=True)
        except psutil.Error:
            return outer
        pythons = [child.pid for child in below if child.name().startswith("python")]
        return pythons[-1] if pythons else outer

    def inside(self, path: Path, scratch_root: Path) -> str:
        """`path` (inside the run's scratch root on the runner) as the kernel sees it."""
        if self.sandbox is None:
            return str(path)
        return str(Path(SCRATCH_INSIDE) / path.relative_to(scratch_root))


class KernelPool:
    def __init__(self, *, kernel_name: str, size: int, preimports: list[str], threads: int = 0) -> None:
        self.kernel_name = kernel_name
        self.threads = threads
        self.size = max(0, size)
        self.preimports = preimports
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kernel-pool", daemon=True)
        self._ready: list[PooledKernel] = []
        self._filling = False
        self._fill_failing = False  # the last start in the background failed: nobody should wait for it
        self._added: asyncio.Event | None = None  # created on the loop; set whenever a kernel joins the pool
        self._thread.start()
        if self.size:
            self.call_soon(self._fill())

    # --- running coroutines on the pool's loop --------------------------------------------------------
    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Runs `coroutine` on the pool's loop and waits for its result (from any other thread)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def call_soon(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    # --- kernels --------------------------------------------------------------------------------------
    async def _start(self) -> PooledKernel:
        from django.conf import settings

        key = pool_key()  # what the sandbox below is built for, read before anything can change it
        sandbox = runner_sandbox()  # raises SandboxRefused, with the reason, where none may be skipped
        slot: str | None = None
        if sandbox is None:
            home = tempfile.mkdtemp(prefix="go3s-kernel-")
        else:
            # Beside the runs' scratch directories, so the slot becomes one by a rename on the same disk.
            kernels = Path(settings.NOTEBOOK_SCRATCH_DIR) / ".kernels"
            kernels.mkdir(parents=True, exist_ok=True)
            home = tempfile.mkdtemp(prefix="home-", dir=kernels)
            slot = tempfile.mkdtemp(prefix="scratch-", dir=kernels)
            os.chmod(home, 0o700)
            sandbox.own(home)
            sandbox.own(slot)
        # IPC sockets in the kernel's private directory: no TCP port another local user could reach.
        manager = SandboxedKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(home, "kernel-ipc"),
            connection_file=os.path.join(home, "connection.json"),
        )
        manager.sandbox, manager.sandbox_home, manager.sandbox_scratch = sandbox, home, slot or home
        if sandbox is not None:
            spec = manager.kernel_spec
            manager.sandbox_readonly = sandbox_readonly(spec.argv[0] if spec is not None else "")
        await manager.start_kernel(env=kernel_environment(home, self.threads), cwd=home)
        client = manager.client()
        client.start_channels()
        kernel = PooledKernel(manager, client, home, sandbox=sandbox, slot=slot, key=key)
        try:
            await client.wait_for_ready(timeout=120)
            if self.preimports:
                # Imported for their side effect on sys.modules only: the user namespace stays empty.
                code = "; ".join(f"__import__({name!r})" for name in self.preimports)
                await self._execute_silently(client, code)
        except Exception:
            await self._shutdown(kernel)
            raise
        return kernel

    @staticmethod
    async def _execute_silently(client: Any, code: str, timeout: float = 120) -> None:
        msg_id = client.execute(code, silent=True, store_history=False)
        reply = await client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = await client.get_shell_msg(timeout=timeout)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel setup failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def _event(self) -> asyncio.Event:
        if self._added is None:
            self._added = asyncio.Event()
        return self._added

    async def _fill(self) -> None:
        if self._filling:
            return
        self._filling = True
        try:
            while len(self._ready) < self.size:
                try:
                    self._ready.append(await self._start())
                    self._fill_failing = False
                    self._event().set()
                except Exception:
                    self._fill_failing = True
                    log.exception("could not start a pooled kernel; retrying in 5 s")
                    await asyncio.sleep(5)
        finally:
            self._filling = False

    async def _acquire(self) -> PooledKernel:
        if not self._ready and self._filling and not self._fill_failing:
            # A kernel is already starting (maybe importing torch): it is ready sooner than a new one. Not when
            # the background start keeps failing: then this run starts its own and fails with the reason now.
            self._event().clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event().wait(), timeout=120)
        kernel = self._ready.pop(0) if self._ready else None
        if kernel is not None and (kernel.key != pool_key() or not await kernel.manager.is_alive()):
            await self._shutdown(kernel)
            kernel = None
        if kernel is None:
            kernel = await self._start()
        return kernel

    def acquire(self) -> PooledKernel:
        """A started, connected, ready kernel for exactly one run; `discard` it afterwards."""
        return self.run(self._acquire(), timeout=300)

    async def prepare(self, kernel: PooledKernel, path: str, address_space_mb: int | None) -> None:
        """The kernel moves to the run's working directory and, when asked, lowers its own address-space
        ceiling (soft and hard: user code cannot raise it back), in one request."""
        code = f"__import__('os').chdir({path!r})"
        if address_space_mb is not None:
            limit = address_space_mb * 1024 * 1024
            code += f"; __import__('resource').setrlimit(__import__('resource').RLIMIT_AS, ({limit}, {limit}))"
        await self._execute_silently(kernel.client, code, timeout=30)

    async def _shutdown(self, kernel: PooledKernel) -> None:
        try:
            kernel.client.stop_channels()
        except Exception:
            log.debug("stopping channels failed", exc_info=True)
        try:
            await kernel.manager.shutdown_kernel(now=True)
        except Exception:
            log.debug("kernel shutdown failed", exc_info=True)
        shutil.rmtree(kernel.home, ignore_errors=True)
        if kernel.slot is not None:
            shutil.rmtree(kernel.slot, ignore_errors=True)  # gone already when a run took it

    def discard(self, kernel: PooledKernel, *, wait: bool = True) -> None:
        """Shuts the used kernel down, then refills the pool (after the shutdown, so the two don't compete).
        `wait=False` returns at once: the shutdown and the refill happen on the pool's loop."""
        if wait:
            self.run(self._shutdown(kernel), timeout=60)
            if self.size:
                self.call_soon(self._fill())
            return
        self.call_soon(self._shutdown_then_fill(kernel))

    async def _shutdown_then_fill(self, kernel: PooledKernel) -> None:
        await self._shutdown(kernel)
        if self.size:
            await self._fill()

    def close(self) -> None:
        async def shutdown_all() -> None:
            # Background work first (a used kernel still shutting down, a refill starting): then nothing is
            # left running when the loop stops.
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            if pending:
                await asyncio.wait(pending, timeout=30)
            while self._ready:
                await self._shutdown(self._ready.pop())

        try:
            self.run(shutdown_all(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)

    @property
    def ready_count(self) -> int:
        return len(self._ready)


_pool: KernelPool | None = None
_pool_lock = threading.Lock()
_pool_pid: int | None = None


def get_pool() -> KernelPool:
    """The pool of this process (created on first use; a forked child makes its own)."""
    global _pool, _pool_pid
    from django.conf import settings

    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = KernelPool(
                kernel_name=settings.NOTEBOOK_KERNEL_NAME,
                size=settings.NOTEBOOK_KERNEL_POOL_SIZE,
                preimports=list(settings.NOTEBOOK_KERNEL_PREIMPORTS),
                threads=settings.NOTEBOOK_KERNEL_THREADS,
            )
            _pool_pid = os.getpid()
        return _pool


def close_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.close()
        _pool = None
