"""Watching a running kernel: wall-clock limit, memory limit, cancellation, heartbeat.

A watchdog thread samples the kernel's process tree; when a limit is broken or the user cancels, it
records why and stops the kernel (interrupt first, then kill), which ends the execution with a clear
reason while the runner process itself carries on.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil


@dataclass
class Stop:
    kind: str  # "timeout" | "memory" | "cancel"
    detail: str


def limit_address_space(pid: int, megabytes: int) -> None:
    """A hard ceiling on the kernel's virtual memory: huge single allocations fail with MemoryError."""
    limit = megabytes * 1024 * 1024
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))


def tree_rss_mb(pid: int) -> int:
    try:
        process = psutil.Process(pid)
        processes = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in processes:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total // (1024 * 1024)


class Watchdog(threading.Thread):
    def __init__(
        self,
        *,
        pid: int,
        timeout_seconds: int,
        memory_limit_mb: int,
        tick: Callable[[], bool],
        tick_every: float = 0.5,
        grace_seconds: float = 3.0,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        """`tick` is called about every `tick_every` seconds (progress, heartbeat) and returns True to cancel."""
        super().__init__(name=f"watchdog-{pid}", daemon=True)
        self.pid = pid
        self.deadline = time.monotonic() + timeout_seconds
        self.timeout_seconds = timeout_seconds
        self.memory_limit_mb = memory_limit_mb
        self.tick = tick
        self.tick_every = tick_every
        self.grace_seconds = grace_seconds
        self.on_exit = on_exit
        self.stop_reason: Stop | None = None
        self.peak_rss_mb = 0
        self._finished = threading.Event()

    def finish(self, *, wait: bool = True) -> None:
        """Stops watching. `wait=False` returns at once (the thread ends within one poll on its own): for a run
        that succeeded, whose outcome no longer depends on what the watchdog decides."""
        self._finished.set()
        if wait:
            self.join(timeout=10)

    def run(self) -> None:
        try:
            self._watch()
        finally:
            if self.on_exit is not None:
                self.on_exit()

    def _watch(self) -> None:
        last_tick = 0.0
        while not self._finished.wait(0.1):
            rss = tree_rss_mb(self.pid)
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
            if rss > self.memory_limit_mb:
                self._halt(
                    Stop("memory", f"memory limit exceeded: the kernel used {rss} MB, the limit is {self.memory_limit_mb} MB"),
                    kill_now=True,
                )
                return
            if time.monotonic() > self.deadline:
                self._halt(Stop("timeout", f"time limit of {self.timeout_seconds} s exceeded"))
                return
            if time.monotonic() - last_tick >= self.tick_every:
                last_tick = time.monotonic()
                if self.tick():
                    self._halt(Stop("cancel", "cancelled by request"))
                    return

    def _halt(self, reason: Stop, *, kill_now: bool = False) -> None:
        self.stop_reason = reason
        if not kill_now:
            self._signal(signal.SIGINT)
            if self._finished.wait(self.grace_seconds):
                return
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        try:
            if signum == signal.SIGKILL:
                for child in psutil.Process(self.pid).children(recursive=True):
                    child.kill()
            os.kill(self.pid, signum)
        except (ProcessLookupError, psutil.Error):
            pass
