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
from typing import Any, TypeVar

from jupyter_client.manager import AsyncKernelManager

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


@dataclass
class PooledKernel:
    manager: AsyncKernelManager
    client: Any
    home: str
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.manager, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)


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
        home = tempfile.mkdtemp(prefix="go3s-kernel-")
        # IPC sockets in the kernel's private directory: no TCP port another local user could reach.
        manager = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=os.path.join(home, "kernel-ipc"))
        await manager.start_kernel(env=kernel_environment(home, self.threads), cwd=home)
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            if self.preimports:
                # Imported for their side effect on sys.modules only: the user namespace stays empty.
                code = "; ".join(f"__import__({name!r})" for name in self.preimports)
                await self._execute_silently(client, code)
        except Exception:
            await self._shutdown(PooledKernel(manager, client, home))
            raise
        return PooledKernel(manager, client, home)

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
                    self._event().set()
                except Exception:
                    log.exception("could not start a pooled kernel; retrying in 5 s")
                    await asyncio.sleep(5)
        finally:
            self._filling = False

    async def _acquire(self) -> PooledKernel:
        if not self._ready and self._filling:
            # A kernel is already starting (maybe importing torch): it is ready sooner than a new one.
            self._event().clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event().wait(), timeout=120)
        kernel = self._ready.pop(0) if self._ready else None
        if kernel is not None and not await kernel.manager.is_alive():
            await self._shutdown(kernel)
            kernel = None
        if kernel is None:
            kernel = await self._start()
        return kernel

    def acquire(self) -> PooledKernel:
        """A started, connected, ready kernel for exactly one run; `discard` it afterwards."""
        return self.run(self._acquire(), timeout=300)

    async def chdir(self, kernel: PooledKernel, path: str) -> None:
        await self._execute_silently(kernel.client, f"__import__('os').chdir({path!r})", timeout=30)

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

    def discard(self, kernel: PooledKernel) -> None:
        """Shuts the used kernel down, then refills the pool (after the run, so the two don't compete)."""
        self.run(self._shutdown(kernel), timeout=60)
        if self.size:
            self.call_soon(self._fill())

    def close(self) -> None:
        async def shutdown_all() -> None:
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
