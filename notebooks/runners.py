"""Runner registration: a worker that consumes a notebook queue registers itself and heartbeats.

Connected to Celery's worker signals (imported by `notebooks.tasks`, which Celery autodiscovers). The
heartbeat runs in a thread of the worker's main process; the fleet page reads it, and the reaper uses
the runs' own heartbeats to find runs whose runner is gone.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import psutil
from celery.signals import celeryd_init, worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notebooks.models import QUEUE_NAMES, Run, Runner
from notebooks.queues import DEFAULT_QUEUE
from notebooks.result_cache import kernel_environment_lock

log = logging.getLogger(__name__)
NOTEBOOK_QUEUES = tuple(QUEUE_NAMES.values())

_hostname: str | None = None
_stop = threading.Event()


def detect_gpu() -> tuple[str, int]:
    """(name, memory MB) of the first GPU nvidia-smi reports, or ("", 0)."""
    if shutil.which("nvidia-smi") is None:
        return "", 0
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "", 0
    first = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    if not first:
        return "", 0
    name, _, memory = first.rpartition(",")
    try:
        return name.strip(), int(float(memory.strip()))
    except ValueError:
        return first.strip(), 0


def toolchain_versions() -> dict[str, str]:
    import nbclient
    import nbconvert
    import papermill

    versions = {
        "python": platform.python_version(),
        "papermill": papermill.__version__,
        "nbclient": nbclient.__version__,
        "nbconvert": nbconvert.__version__,
    }
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        kernel_python = Path(KernelSpecManager().get_kernel_spec(settings.NOTEBOOK_KERNEL_NAME).argv[0])
    except NoSuchKernel:
        return {**versions, "kernel": "missing"}
    if kernel_python.exists():
        try:
            probe = subprocess.run(  # noqa: S603 — our own interpreter with fixed arguments
                [
                    str(kernel_python),
                    "-c",
                    "import torch, numpy; print(torch.__version__, numpy.__version__, torch.cuda.is_available())",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
            torch_version, numpy_version, cuda = probe.stdout.split()
            versions.update(torch=torch_version, numpy=numpy_version, cuda_available=cuda)
            versions["kernel_lock"] = kernel_environment_lock()
        except (OSError, subprocess.SubprocessError, ValueError):
            log.warning("could not read the kernel environment's versions", exc_info=True)
    return versions


def runner_register(*, hostname: str, queues: list[str], slots: int = 1) -> Runner:
    gpu_name, gpu_memory = detect_gpu()
    now = timezone.now()
    runner, _ = Runner.objects.update_or_create(
        hostname=hostname,
        defaults={
            "host": socket.gethostname(),
            "queues": queues,
            "slots": max(1, slots),
            "cpus": os.cpu_count() or 1,
            "memory_mb": psutil.virtual_memory().total // (1024 * 1024),
            "gpu_name": gpu_name,
            "gpu_memory_mb": gpu_memory,
            "toolchain": toolchain_versions(),
            "started_at": now,
            "last_heartbeat": now,
            "stopped_at": None,
        },
    )
    return runner


def runner_heartbeat(hostname: str) -> None:
    runner = Runner.objects.filter(hostname=hostname).first()
    if runner is None:
        return
    Runner.objects.filter(pk=runner.pk).update(
        last_heartbeat=timezone.now(),
        load_1m=os.getloadavg()[0],
        active_runs=Run.objects.filter(runner=runner, status=Run.Status.RUNNING).count(),
    )


def current_runner() -> Runner | None:
    if _hostname is None:
        return None
    return Runner.objects.filter(hostname=_hostname).first()


def _heartbeat_loop(hostname: str) -> None:
    while not _stop.wait(settings.NOTEBOOK_RUNNER_HEARTBEAT_SECONDS):
        try:
            runner_heartbeat(hostname)
        except Exception:
            log.warning("runner heartbeat failed", exc_info=True)
        finally:
            connection.close()


@worker_ready.connect
def _on_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    global _hostname
    consumer = sender
    queues = sorted(queue.name for queue in consumer.task_consumer.queues) if consumer is not None else []
    _hostname = _hostname or (consumer.hostname if consumer is not None else socket.gethostname())
    if not set(queues) & set(NOTEBOOK_QUEUES):
        return
    controller = getattr(consumer, "controller", None)
    runner_register(hostname=_hostname, queues=queues, slots=int(getattr(controller, "concurrency", 1) or 1))
    connection.close()
    threading.Thread(target=_heartbeat_loop, args=(_hostname,), name="runner-heartbeat", daemon=True).start()
    # A worker that starts is also the moment to look for runs a dead worker left behind.
    from notebooks.tasks import runs_reap

    runs_reap.apply_async(queue=DEFAULT_QUEUE)


@celeryd_init.connect
def _on_worker_init(sender: Any = None, **kwargs: Any) -> None:
    # Fires in the main process before the pool forks, so every child knows which runner it belongs to.
    global _hostname
    _hostname = str(sender) if sender else None


@worker_shutdown.connect
def _on_worker_shutdown(**kwargs: Any) -> None:
    _stop.set()
    if _hostname:
        Runner.objects.filter(hostname=_hostname).update(stopped_at=timezone.now())
    from notebooks.engine.kernels import close_pool

    close_pool()
