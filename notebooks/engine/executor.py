"""Executing one run: claim it, parameterise the exact notebook version, run it on a pooled kernel under
its limits, record progress per cell, and store the outcome, the output notebook, metrics and HTML.

Safe to run twice: the run is claimed with a conditional UPDATE on (status=queued, attempt), so a
redelivered message for a run that already started, finished, was cancelled or was re-queued as a new
attempt does nothing. Every write after the claim is conditional on (status=running, attempt) too, so a
runner that lost its run to the reaper cannot overwrite the newer attempt.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from papermill.parameterize import parameterize_notebook

from notebooks.catalogue import node_from_bytes
from notebooks.engine.kernels import PooledKernel, get_pool
from notebooks.engine.limits import Stop, Watchdog, limit_address_space
from notebooks.engine.rendering import render_html
from notebooks.hooks import run_finished, run_inputs
from notebooks.models import Run, Runner
from notebooks.result_cache import kernel_environment_lock, key_for_finished_run

log = logging.getLogger(__name__)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
METRICS_MAX_BYTES = 64 * 1024


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


@dataclass
class Progress:
    """Written by nbclient's hooks on the kernel loop, persisted by the watchdog's tick."""

    cells_done: int = 0
    current_cell: int | None = None
    preview: str = ""
    failing_cell: int | None = None
    dirty: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _output_size(output: Any) -> int:
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    size = 0
    for value in (output.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    size += sum(len(line) for line in output.get("traceback", []) or [])
    return size


class CappedNotebookClient(NotebookClient):
    """nbclient with a cap on stored outputs: past it, outputs are dropped and one visible marker is kept."""

    def __init__(self, *args: Any, cell_cap: int, run_cap: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell_cap = cell_cap
        self.run_cap = run_cap
        self.run_bytes = 0
        self.cell_bytes: dict[int, int] = {}
        self.truncated_cells: set[int] = set()

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        size = _output_size(out)
        used = self.cell_bytes.get(cell_index, 0)
        if used + size > self.cell_cap or self.run_bytes + size > self.run_cap:
            if outs and outs[-1] is out:
                outs.pop()
            if cell_index not in self.truncated_cells:
                self.truncated_cells.add(cell_index)
                cap = self.cell_cap if used + size > self.cell_cap else self.run_cap
                outs.append(
                    nbformat.v4.new_output(
                        "stream",
                        name="stderr",
                        text=f"\n[output truncated by the portal: past the {cap // 1024} KB limit; the rest was not stored]\n",
                    )
                )
            return None
        self.cell_bytes[cell_index] = used + size
        self.run_bytes += size
        return out


def extract_metrics(nb: Any) -> dict[str, Any]:
    """The JSON object(s) displayed by cells tagged `metrics`, merged in cell order."""
    metrics: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "metrics" not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            value = (output.get("data") or {}).get("application/json")
            if isinstance(value, dict):
                metrics.update(value)
    if len(json.dumps(metrics, default=str)) > METRICS_MAX_BYTES:
        return {"error": f"metrics larger than {METRICS_MAX_BYTES // 1024} KB were not stored"}
    return json.loads(json.dumps(metrics, default=str))


def _scratch_root(run: Run) -> Path:
    return Path(settings.NOTEBOOK_SCRATCH_DIR) / f"run-{run.pk}-{run.attempt}"


def _scratch_for(run: Run, kernel: PooledKernel) -> Path:
    """A working directory that mirrors the catalogue, so relative paths (`../data/…`) resolve.

    Data and models are linked, not copied; what the notebook writes stays in the scratch directory,
    which is removed after the run. A sandboxed kernel sees only its own slot (mounted as /scratch when it
    started): the slot is renamed into place here and becomes this run's scratch directory.
    """
    catalogue = Path(settings.NOTEBOOK_CATALOGUE_DIR)
    root = _scratch_root(run)
    shutil.rmtree(root, ignore_errors=True)
    own_dir = Path(run.notebook.path).parent
    if kernel.slot is not None:
        root.parent.mkdir(parents=True, exist_ok=True)
        os.rename(kernel.slot, root)
        kernel.slot = None
    else:
        root.mkdir(parents=True)
    for entry in catalogue.iterdir():
        if entry.is_dir() and entry.name != own_dir.name:
            (root / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
    _fetch_inputs(run, root)
    for name, shared in settings.NOTEBOOK_SHARED_DIRS.items():
        if Path(shared).is_dir() and not (root / name).exists():
            (root / name).symlink_to(Path(shared).resolve(), target_is_directory=True)
    work = root / own_dir
    work.mkdir(parents=True, exist_ok=True)
    if kernel.sandbox is not None:
        for folder in [work, *work.parents]:
            kernel.sandbox.own(folder)
            if folder == root:
                break
    if (catalogue / own_dir).is_dir():
        for entry in (catalogue / own_dir).iterdir():
            # `output/` is what a notebook writes: each run starts with its own, empty and writable, never a
            # link to one left in the catalogue by a run outside the portal (read-only in the sandbox).
            if not entry.name.endswith(".ipynb") and entry.name != "output":
                (work / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    return work


class StorageError(RuntimeError):
    """The storage could not be read or written: the run fails with this reason; the runner stays up."""


def _fetch_inputs(run: Run, root: Path) -> None:
    """Copies what the run reads besides the catalogue (notebooks.hooks.run_inputs) from the storage into its
    scratch root, before the kernel runs anything. The copies are the runner's (a sandboxed kernel reads them,
    cannot change them) and go with the scratch directory when the run ends."""
    inputs = run_inputs(run)
    for relative, source in sorted(inputs.items()):
        target = root / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts or not relative:
            raise ValueError(f"a run input must be a relative path inside the scratch directory: {relative!r}")
        for folder in reversed([target.parent, *target.parent.parents]):
            if folder == root or root not in folder.parents:
                continue
            if not folder.exists():
                folder.mkdir()
                folder.chmod(0o755)
        try:
            if isinstance(source, bytes):
                target.write_bytes(source)
            else:
                with default_storage.open(source, "rb") as stream, open(target, "wb") as copy:
                    shutil.copyfileobj(stream, copy, 1024 * 1024)
        except Exception as error:
            raise StorageError(f"the run's input {relative} could not be read from the storage: {error}") from error
        target.chmod(0o644)


def cell_seconds(nb: Any) -> list[dict[str, Any]]:
    """Seconds per executed code cell, from the timestamps nbclient records (`record_timing`): from the
    kernel starting the cell to its last output. Cells that never ran are left out."""
    timings = []
    number = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        number += 1
        execution = cell.get("metadata", {}).get("execution", {})
        start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if not (start and end):
            continue
        try:
            seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        except ValueError:
            continue
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        timings.append({"cell": number, "index": index, "seconds": round(max(0.0, seconds), 4), "source": first_line[:120]})
    return timings


def _runner_identity(runner: Runner | None) -> dict[str, Any]:
    return {
        "runner": runner,
        "runner_host": runner.hostname if runner else socket.gethostname(),
        "gpu_name": runner.gpu_name if runner else "",
    }


def _kernel_lock(run: Run) -> str:
    """The kernel environment's lock as the run's runner registered it (computed here when it did not)."""
    registered = str((run.runner.toolchain or {}).get("kernel_lock", "")) if run.runner else ""
    return registered or kernel_environment_lock()


def _claim(run_id: int, attempt: int, runner: Runner | None) -> bool:
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED, attempt=attempt, cancel_requested=False).update(
        status=Run.Status.RUNNING, started_at=now, heartbeat_at=now, updated_at=now, **_runner_identity(runner)
    )
    return claimed == 1


def _owned_row(run: Run) -> QuerySet[Run]:
    """The run's row for as long as this attempt owns it (still running, same attempt): an update through it
    changes nothing once the reaper re-queued the run or another attempt took it."""
    return Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, attempt=run.attempt)


def execute_run(run_id: int, attempt: int, *, runner: Runner | None = None) -> str:
    """Executes the run if this call claims it, on behalf of `runner` (the registered runner whose worker
    received the message; None outside a runner, then the host name stands for it). Returns the final
    status, or "skipped"."""
    if not _claim(run_id, attempt, runner):
        log.info("run %s attempt %s was not queued any more; skipping", run_id, attempt)
        return "skipped"
    run = Run.objects.select_related("notebook", "version", "runner").get(pk=run_id)
    try:
        return _execute_claimed(run)
    except Exception as error:
        log.exception("run %s failed in the runner", run_id)
        _finish(run, status=Run.Status.FAILED, error=f"the runner failed: {type(error).__name__}: {error}")
        return Run.Status.FAILED


def _execute_claimed(run: Run) -> str:
    nb = node_from_bytes((run.input_source or run.version.source).encode())
    nb = parameterize_notebook(nb, run.parameters, kernel_name=settings.NOTEBOOK_KERNEL_NAME, language="python")
    code_cells = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    _owned_row(run).update(cells_total=len(code_cells), cells_done=0)

    pool = get_pool()
    work: Path | None = None
    kernel: PooledKernel | None = None
    progress = Progress()
    watchdog: Watchdog | None = None
    outcome: dict[str, Any]
    try:
        kernel = pool.acquire()
        if kernel.pid is None:
            raise RuntimeError("the kernel process could not be found")
        ceiling: int | None = None
        if settings.NOTEBOOK_ADDRESS_SPACE_LIMIT:
            ceiling = max(run.memory_limit_mb * 2, run.memory_limit_mb + 2048)
            if kernel.sandbox is None:
                limit_address_space(kernel.pid, ceiling)
                ceiling = None
        work = _scratch_for(run, kernel)
        # One round trip to the kernel: its working directory, and (sandboxed) its own address-space ceiling.
        pool.run(pool.prepare(kernel, kernel.inside(work, _scratch_root(run)), ceiling), timeout=30)
        _owned_row(run).update(kernel_ready_at=timezone.now())

        def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
            with progress.lock:
                progress.current_cell = cell_index
                progress.preview = cell.source.strip().splitlines()[0][:200] if cell.source.strip() else ""
                progress.dirty = True

        def on_cell_complete(cell: Any, cell_index: int, **_: Any) -> None:
            with progress.lock:
                progress.cells_done += 1
                progress.dirty = True

        def on_cell_error(cell: Any, cell_index: int, **_: Any) -> None:
            with progress.lock:
                progress.failing_cell = cell_index

        client = CappedNotebookClient(
            nb,
            km=kernel.manager,
            kernel_name=settings.NOTEBOOK_KERNEL_NAME,
            timeout=None,
            startup_timeout=120,
            allow_errors=False,
            record_timing=True,
            shutdown_kernel="immediate",
            on_cell_start=on_cell_start,
            on_cell_complete=on_cell_complete,
            on_cell_error=on_cell_error,
            cell_cap=settings.NOTEBOOK_CELL_OUTPUT_CAP,
            run_cap=settings.NOTEBOOK_RUN_OUTPUT_CAP,
        )
        client.kc = kernel.client  # nbclient ignores a kc= argument; the ready client must be set afterwards
        watchdog = Watchdog(
            pid=kernel.pid,
            timeout_seconds=run.timeout_seconds,
            memory_limit_mb=run.memory_limit_mb,
            tick=lambda: _tick(run, progress),
            on_exit=lambda: connection.close(),
        )
        watchdog.start()
        succeeded = False
        try:
            pool.run(client.async_execute())
            outcome = {"status": Run.Status.SUCCEEDED}
            succeeded = True
        except CellExecutionError as error:
            outcome = _outcome_of_failure(watchdog, progress, error, code_cells)
        except DeadKernelError as error:
            outcome = _outcome_of_failure(watchdog, progress, error, code_cells)
        finally:
            # A failure's reason may be the watchdog's (it waits for it); a success has nothing to learn from it.
            watchdog.finish(wait=not succeeded)
        outcome["truncated"] = bool(client.truncated_cells)
    except Exception as error:  # the kernel could not start, or the runner broke: say so on the run
        log.exception("run %s could not execute", run.pk)
        reason = str(error) if isinstance(error, StorageError) else f"{type(error).__name__}: {error}"
        outcome = {"status": Run.Status.FAILED, "error": reason[:2000]}
    except BaseException:
        _release(pool, kernel, work)
        raise

    # The result first, the clean-up after: the person waiting sees their result without waiting for the
    # kernel to shut down (it goes in the pool's background, which then starts the next kernel).
    try:
        _owned_row(run).update(executed_at=timezone.now())
        with progress.lock:
            cells_done = progress.cells_done
        _finish(
            run,
            nb=nb,
            cells_done=cells_done,
            peak_memory_mb=watchdog.peak_rss_mb if watchdog else 0,
            truncated=outcome.pop("truncated", False),
            **outcome,
        )
    finally:
        _release(pool, kernel, work)
    return str(outcome["status"])


def _release(pool: Any, kernel: PooledKernel | None, work: Path | None) -> None:
    """The used kernel is shut down in the pool's background; the run's scratch directory is removed."""
    if kernel is not None:
        pool.discard(kernel, wait=False)
    if work is not None and not settings.NOTEBOOK_KEEP_SCRATCH:
        shutil.rmtree(work.parent if work.parent.name.startswith("run-") else work, ignore_errors=True)


def _tick(run: Run, progress: Progress) -> bool:
    """Persists progress and the heartbeat; answers whether the user asked to cancel. Watchdog thread."""
    try:
        with progress.lock:
            changes: dict[str, Any] = {"heartbeat_at": timezone.now()}
            if progress.dirty:
                changes.update(
                    cells_done=progress.cells_done,
                    current_cell=progress.current_cell,
                    current_cell_preview=progress.preview,
                )
                progress.dirty = False
        _owned_row(run).update(**changes)
        return bool(Run.objects.filter(pk=run.pk, cancel_requested=True).exists())
    except Exception:
        log.warning("progress update for run %s failed", run.pk, exc_info=True)
        return False


def _outcome_of_failure(watchdog: Watchdog, progress: Progress, error: Exception, code_cells: list[int]) -> dict[str, Any]:
    reason: Stop | None = watchdog.stop_reason
    with progress.lock:
        cell = progress.failing_cell if progress.failing_cell is not None else progress.current_cell
    cell_number = code_cells.index(cell) + 1 if cell in code_cells else None
    where = f" (code cell {cell_number}, notebook cell {cell})" if cell is not None else ""
    if reason is not None and reason.kind == "timeout":
        return {"status": Run.Status.TIMED_OUT, "error": reason.detail + where, "error_cell": cell}
    if reason is not None and reason.kind == "cancel":
        return {"status": Run.Status.CANCELLED, "error": reason.detail, "error_cell": cell}
    if reason is not None and reason.kind == "memory":
        return {"status": Run.Status.FAILED, "error": reason.detail + where, "error_cell": cell}
    if isinstance(error, DeadKernelError):
        return {
            "status": Run.Status.FAILED,
            "error": f"the kernel died while running{where or ' the notebook'}",
            "error_cell": cell,
        }
    if isinstance(error, CellExecutionError):
        summary = f"{error.ename}: {error.evalue}" if error.ename else str(error).splitlines()[0]
        if error.ename == "MemoryError":
            summary = f"memory limit exceeded (MemoryError){where}"
        return {
            "status": Run.Status.FAILED,
            "error": summary[:2000],
            "error_cell": cell,
            "traceback": strip_ansi(str(error))[-20000:],
        }
    return {"status": Run.Status.FAILED, "error": str(error)[:2000], "error_cell": cell}


def _finish(
    run: Run,
    *,
    status: str,
    nb: Any = None,
    error: str = "",
    error_cell: int | None = None,
    traceback: str = "",
    cells_done: int | None = None,
    peak_memory_mb: int = 0,
    truncated: bool = False,
) -> None:
    """Stores the outcome and files; only if this attempt still owns the run."""
    changes: dict[str, Any] = {
        "status": status,
        "error": error,
        "error_cell": error_cell,
        "traceback": traceback,
        "peak_memory_mb": peak_memory_mb,
        "outputs_truncated": truncated,
        "current_cell": None,
    }
    if cells_done is not None:
        changes["cells_done"] = cells_done
    if nb is not None:
        nb.metadata.setdefault("portal_run", {}).update(
            {"run": run.pk, "attempt": run.attempt, "notebook_version": run.version.sha256, "status": status}
        )
        changes["metrics"] = extract_metrics(nb)
        changes["cell_seconds"] = cell_seconds(nb)
        try:
            html = render_html(nb)
        except Exception as render_error:
            log.exception("rendering run %s failed", run.pk)
            html = f"<p>The notebook could not be rendered: {type(render_error).__name__}</p>"
        try:
            changes.update(_store_outputs(run, nb, html))
        except StorageError as storage_error:
            log.exception("storing the results of run %s failed", run.pk)
            # Without its results the run failed, whatever its notebook did; a reason it already had is kept after.
            reason = f"{storage_error}; before that: {error}" if error else str(storage_error)
            failed = Run.Status.FAILED if status == Run.Status.SUCCEEDED else status
            changes.update(status=failed, error=reason[:2000], metrics={}, cell_seconds=[])
    if cells_done is not None and nb is not None and changes["status"] == Run.Status.SUCCEEDED:
        changes["cells_done"] = sum(1 for cell in nb.cells if cell.cell_type == "code")
        changes["result_key"] = key_for_finished_run(run, _kernel_lock(run))
    changes["finished_at"] = timezone.now()  # when the result is stored, rendering and upload included
    updated = _owned_row(run).update(**changes)
    if updated:
        run_finished(run.pk)
    else:
        log.warning("run %s attempt %s finished after losing ownership; outcome not stored", run.pk, run.attempt)


def _store_outputs(run: Run, nb: Any, html: str) -> dict[str, str]:
    """Writes the output notebook and its HTML to the storage; the run names them only once both are stored
    (the caller records them with the outcome), so nothing half-written is ever served. A failed write removes
    what was written and raises StorageError with the reason."""
    stem = f"run-{run.pk}-{run.attempt}"
    storage = Run._meta.get_field("output_notebook").storage
    stored: dict[str, str] = {}
    try:
        stored["output_notebook"] = storage.save(f"runs/{stem}.ipynb", ContentFile(nbformat.writes(nb).encode()))
        stored["output_html"] = storage.save(f"runs/{stem}.html", ContentFile(html.encode()))
    except Exception as error:
        for name in stored.values():
            try:
                storage.delete(name)
            except Exception:
                log.warning("could not remove %s after a failed write", name, exc_info=True)
        raise StorageError(f"the results could not be written to the storage: {type(error).__name__}: {error}") from error
    return stored
