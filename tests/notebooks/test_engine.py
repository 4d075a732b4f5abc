"""The executor against real kernels: outcomes, limits, progress, safety. Runs execute in-process here;
tests/integration runs them through a real worker."""

from __future__ import annotations

import json
import threading
import time

import nbformat
import pytest
from bs4 import BeautifulSoup

from accounts.models import Role
from notebooks.contract import hooks_replaced
from notebooks.engine.executor import execute_run
from notebooks.models import Run
from notebooks.services import run_cancel, runs_reap

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def student(make_user):
    return make_user(Role.STUDENT)


def _run(nb, owner, slug, *, parameters=None, timeout=60, memory=2048) -> Run:
    notebook = nb(slug)
    values = {"steps": 3, "device": "auto", **(parameters or {})}
    return Run.objects.create(
        notebook=notebook,
        version=notebook.current_version,
        owner=owner,
        parameters=values,
        timeout_seconds=timeout,
        memory_limit_mb=memory,
    )


def _execute(run: Run) -> Run:
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    return run


def test_a_short_notebook_succeeds_with_metrics_outputs_and_provenance(nb, student):
    run = _execute(_run(nb, student, "short", parameters={"steps": 5}))

    assert run.status == Run.Status.SUCCEEDED
    assert run.metrics == {"steps": 5, "ok": True}
    assert run.cells_done == run.cells_total > 0
    assert run.runner_host
    assert run.started_at <= run.finished_at
    executed = nbformat.reads(run.output_notebook.read().decode(), as_version=4)
    injected = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert injected and "steps = 5" in injected[0].source
    assert executed.metadata["portal_run"]["notebook_version"] == run.version.sha256
    assert b"total 10" in run.output_html.read()


def test_relative_data_paths_of_the_catalogue_resolve(nb, student):
    run = _execute(_run(nb, student, "reads-data"))

    assert run.status == Run.Status.SUCCEEDED, run.error
    assert "6" in run.output_notebook.read().decode()


def test_a_failing_cell_is_named_with_its_traceback_and_the_output_is_kept(nb, student):
    run = _execute(_run(nb, student, "fails"))

    assert run.status == Run.Status.FAILED
    assert run.error == "ValueError: the data is wrong"
    executed = nbformat.reads(run.output_notebook.read().decode(), as_version=4)
    assert "raise ValueError" in executed.cells[run.error_cell].source
    assert "ValueError" in run.traceback
    assert "\x1b[" not in run.traceback
    assert run.output_html


def test_an_endless_loop_times_out_and_the_runner_carries_on(nb, student):
    started = time.monotonic()
    run = _execute(_run(nb, student, "loops", timeout=4))

    assert run.status == Run.Status.TIMED_OUT
    assert "time limit of 4 s exceeded" in run.error
    assert time.monotonic() - started < 30
    assert _execute(_run(nb, student, "short")).status == Run.Status.SUCCEEDED


def test_growing_memory_past_the_limit_fails_with_the_reason(nb, student):
    run = _execute(_run(nb, student, "hog", memory=400))

    assert run.status == Run.Status.FAILED
    assert "memory limit exceeded" in run.error
    assert run.peak_memory_mb > 400


def test_one_huge_allocation_fails_with_the_reason(nb, student):
    run = _execute(_run(nb, student, "huge-alloc", memory=1024))

    assert run.status == Run.Status.FAILED
    assert "memory limit exceeded (MemoryError)" in run.error


def test_a_kernel_that_exits_is_reported_dead_and_the_runner_carries_on(nb, student):
    run = _execute(_run(nb, student, "exits"))

    assert run.status == Run.Status.FAILED
    assert "kernel died" in run.error
    assert _execute(_run(nb, student, "short")).status == Run.Status.SUCCEEDED


def test_a_flood_of_output_is_truncated_with_a_visible_marker(nb, student):
    run = _execute(_run(nb, student, "chatty"))

    assert run.status == Run.Status.SUCCEEDED
    assert run.outputs_truncated
    stored = run.output_notebook.read().decode()
    assert len(stored) < 3 * 1024 * 1024
    assert "output truncated by the portal" in stored
    assert "after" in stored


def test_the_kernel_sees_no_portal_secret(nb, student, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        monkeypatch.setenv(name, "sensitive")
    from notebooks.engine.kernels import close_pool

    close_pool()  # kernels started after the variables exist

    run = _execute(_run(nb, student, "secrets"))

    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.metrics["leaked"] == []


def test_cancel_interrupts_a_running_notebook(nb, student):
    run = _run(nb, student, "sleeps", parameters={"steps": 10}, timeout=120)
    worker = threading.Thread(target=execute_run, args=(run.pk, run.attempt))
    worker.start()
    deadline = time.monotonic() + 30
    while Run.objects.get(pk=run.pk).cells_done < 3 and time.monotonic() < deadline:
        time.sleep(0.1)

    run_cancel(actor=student, run=Run.objects.get(pk=run.pk))
    worker.join(timeout=30)

    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert run.finished_at is not None


def test_progress_is_recorded_while_the_notebook_runs(nb, student):
    run = _run(nb, student, "sleeps", parameters={"steps": 4}, timeout=120)
    seen = []
    worker = threading.Thread(target=execute_run, args=(run.pk, run.attempt))
    worker.start()
    while worker.is_alive():
        current = Run.objects.get(pk=run.pk)
        seen.append((current.status, current.cells_done, current.current_cell))
        time.sleep(0.2)
    worker.join()

    running = [entry for entry in seen if entry[0] == Run.Status.RUNNING]
    assert running, seen
    assert any(entry[2] is not None for entry in running)
    assert max(entry[1] for entry in running) < Run.objects.get(pk=run.pk).cells_total


def test_a_redelivered_message_does_not_run_twice(nb, student):
    run = _execute(_run(nb, student, "short"))
    finished_at = run.finished_at

    assert execute_run(run.pk, run.attempt) == "skipped"
    run.refresh_from_db()
    assert run.finished_at == finished_at


def test_a_lost_runner_run_is_requeued_once_then_failed(nb, student, monkeypatch):
    from django.utils import timezone

    dispatched = []
    monkeypatch.setattr("notebooks.services.run_dispatch", lambda run_id: dispatched.append(run_id))

    run = _run(nb, student, "short")
    stale = timezone.now() - timezone.timedelta(minutes=10)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=stale, heartbeat_at=stale, runner_host="gone")

    first = runs_reap()
    run.refresh_from_db()
    assert first["requeued"] == [run.pk]
    assert (run.status, run.attempt) == (Run.Status.QUEUED, 2)
    assert "runner lost" in run.error
    assert dispatched == [run.pk], "the new attempt is sent to the queue"
    assert execute_run(run.pk, 1) == "skipped", "the old attempt's message must not run"

    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=stale, heartbeat_at=stale)
    second = runs_reap()
    run.refresh_from_db()
    assert second["failed"] == [run.pk]
    assert run.status == Run.Status.FAILED
    assert "runner lost" in run.error


def test_hostile_outputs_are_sanitised_in_the_rendered_html(nb, student):
    run = _execute(_run(nb, student, "hostile"))
    html = run.output_html.read().decode()

    assert run.status == Run.Status.SUCCEEDED, run.error
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == []
    handlers = [(tag.name, name) for tag in soup.find_all(True) for name in tag.attrs if name.lower().startswith("on")]
    assert handlers == []
    links = [tag.get("href", "") + tag.get("src", "") for tag in soup.find_all(["a", "img", "iframe", "link", "embed", "object"])]
    assert not any(link.strip().lower().startswith(("javascript:", "http:", "https:", "//")) for link in links), links


def test_metrics_are_one_json_object_per_metrics_cell(nb, student):
    run = _execute(_run(nb, student, "short"))

    assert json.dumps(run.metrics)
    assert set(run.metrics) == {"steps", "ok"}


def test_kernel_threads_can_be_capped_per_runner(nb, student, settings):
    from notebooks.engine.kernels import close_pool

    default = _execute(_run(nb, student, "threads"))
    settings.NOTEBOOK_KERNEL_THREADS = 1
    close_pool()
    try:
        capped = _execute(_run(nb, student, "threads"))
    finally:
        close_pool()

    assert default.metrics == {"omp_num_threads": ""}
    assert capped.metrics == {"omp_num_threads": "1"}


finished_runs: list[tuple[int, str]] = []


def record_finished(run_id: int) -> None:
    finished_runs.append((run_id, Run.objects.get(pk=run_id).status))


def refuse_finished(run_id: int) -> None:
    raise RuntimeError("a domain hook that breaks")


def test_domains_hear_once_when_a_run_ends_and_a_broken_hook_changes_nothing(nb, student):
    finished_runs.clear()

    with hooks_replaced(run_finished=[refuse_finished, record_finished]):
        done = _execute(_run(nb, student, "short"))
        _execute(done)  # a redelivered message: no second call
        queued = _run(nb, student, "short")
        run_cancel(actor=student, run=queued)

    assert done.status == Run.Status.SUCCEEDED
    assert finished_runs == [(done.pk, Run.Status.SUCCEEDED), (queued.pk, Run.Status.CANCELLED)]


def test_a_run_writes_its_own_output_folder_even_if_the_catalogue_has_one(tmp_path, settings, student):
    """A notebook run by hand in the catalogue leaves `course/output/`; a portal run still gets its own,
    writable one (in the sandbox the catalogue is read-only), and the catalogue's stays untouched."""
    from notebooks.models import Notebook
    from notebooks.services import catalogue_sync
    from tests.notebooks import builders

    writes = builders.notebook(
        "writes-output",
        ["from pathlib import Path\nout = Path('output/writes-output')\nout.mkdir(parents=True, exist_ok=True)\n"
         "(out / 'result.txt').write_text('from the run')\nprint(sorted(p.name for p in out.iterdir()))"],
    )  # fmt: skip
    root = builders.write_catalogue(tmp_path / "catalogue", [writes])
    stray = root / "course" / "output" / "writes-output"
    stray.mkdir(parents=True)
    (stray / "left-by-hand.txt").write_text("a local run")
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    assert not catalogue_sync(actor=None, root=root).invalid
    notebook = Notebook.objects.get(slug="writes-output")

    run = _execute(
        Run.objects.create(
            notebook=notebook,
            version=notebook.current_version,
            owner=student,
            parameters={"steps": 3, "device": "auto"},
            timeout_seconds=60,
            memory_limit_mb=2048,
        )
    )

    assert run.status == Run.Status.SUCCEEDED, run.error
    assert "['result.txt']" in run.output_notebook.read().decode()
    assert sorted(p.name for p in stray.iterdir()) == ["left-by-hand.txt"]
