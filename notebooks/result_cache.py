"""Reusing an identical result instead of executing again.

A notebook whose catalogue metadata says `"deterministic": true` gives the same output for the same
parameters in the same kernel environment. A succeeded run of it records a result key: the hash of the
notebook version, the parameters (canonical JSON) and the kernel environment's lock (the hash of every
package installed in the kernel's environment, as the runner that executed it reported). A new run asked
for with reuse allowed, whose key matches a succeeded run for an environment a live runner has now, is
answered at once: a new run, succeeded, with the earlier run's outputs and metrics and "same result as
run N". Nothing executes.

Reuse is opt-in twice: by the notebook (metadata) and by whoever starts the run (an assignment that allows
it, a person who did not ask for a fresh run). Evaluation runs that certify and benchmarks never reuse.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import subprocess
from typing import Any

from django.conf import settings
from django.utils import timezone

from notebooks.models import NotebookVersion, Run

log = logging.getLogger(__name__)

# Run in the kernel's interpreter: every installed distribution and its version, sorted.
_LOCK_PROBE = (
    "import importlib.metadata as m, hashlib; "
    "rows = sorted({(d.metadata['Name'] or '').lower() + '==' + d.version for d in m.distributions()}); "
    "print(hashlib.sha256('\\n'.join(rows).encode()).hexdigest())"
)


@functools.cache
def kernel_environment_lock() -> str:
    """The lock of this machine's kernel environment ("" when the kernel cannot be asked)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        python = KernelSpecManager().get_kernel_spec(settings.NOTEBOOK_KERNEL_NAME).argv[0]
        probe = subprocess.run(  # noqa: S603 - the kernel's own interpreter, fixed arguments
            [python, "-c", _LOCK_PROBE], capture_output=True, text=True, timeout=60, check=True, env={"PATH": "/usr/bin:/bin"}
        )
    except (NoSuchKernel, OSError, subprocess.SubprocessError):
        log.warning("could not read the kernel environment's lock", exc_info=True)
        return ""
    return probe.stdout.strip()


def is_deterministic(version: NotebookVersion) -> bool:
    return version.metadata.get("deterministic") is True


def result_key(version: NotebookVersion, parameters: dict[str, Any], lock: str) -> str:
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{version.sha256}\n{canonical}\n{lock}".encode()).hexdigest()


def key_for_finished_run(run: Run, lock: str) -> str:
    """What a succeeded run records (empty for a notebook that is not deterministic or without a lock)."""
    if not lock or not is_deterministic(run.version):
        return ""
    return result_key(run.version, run.parameters, lock)


def live_locks(queue: str) -> set[str]:
    """The kernel environments the live runners of `queue` have now (this machine's when none is live)."""
    from notebooks.fair_queue import live_runners

    locks = {str((runner.toolchain or {}).get("kernel_lock", "")) for runner in live_runners(queue)}
    locks.discard("")
    return locks or ({kernel_environment_lock()} - {""})


def reusable_result(version: NotebookVersion, parameters: dict[str, Any], queue: str) -> Run | None:
    """The latest succeeded run with the same result key for an environment a runner has now."""
    if not is_deterministic(version):
        return None
    keys = [result_key(version, parameters, lock) for lock in live_locks(queue)]
    if not keys:
        return None
    return (
        Run.objects.filter(result_key__in=keys, status=Run.Status.SUCCEEDED, reused_from__isnull=True)
        .order_by("-finished_at", "-pk")
        .first()
    )


def copy_of(source: Run, **fields: Any) -> Run:
    """A new succeeded run that is `source`'s result: the same files, metrics and timings, no execution."""
    now = timezone.now()
    return Run.objects.create(
        **fields,
        status=Run.Status.SUCCEEDED,
        reused_from=source,
        result_key=source.result_key,
        cells_total=source.cells_total,
        cells_done=source.cells_done,
        cell_seconds=source.cell_seconds,
        metrics=source.metrics,
        output_notebook=source.output_notebook.name,
        output_html=source.output_html.name,
        outputs_truncated=source.outputs_truncated,
        peak_memory_mb=source.peak_memory_mb,
        runner_host=source.runner_host,
        gpu_name=source.gpu_name,
        started_at=now,
        finished_at=now,
    )
