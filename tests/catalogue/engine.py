"""Executing the real catalogue's notebooks through the portal's run engine, as a runner would.

`run_through_engine` syncs the catalogue, queues a run with the notebook's smoke parameters through the
`run_enqueue` service (in the tests Celery runs the task eagerly when the transaction commits), and
returns the metrics object of the executed notebook. Tests using it need `django_db(transaction=True)`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from django.conf import settings
from django.test import override_settings

from accounts.models import Role, RoleGrant, User
from notebooks.models import Notebook, Run
from notebooks.services import catalogue_sync, run_enqueue
from tests.notebooks.fidelity import assert_rendered_like_notebook
from tests.notebooks.rendered_in_chromium import check_rendered_in_chromium

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "catalogue"


def tagged(nb: Any, tag: str) -> list[Any]:
    """The cells of `nb` that carry `tag`."""
    return [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]


def _metrics_of(executed: Any) -> dict[str, Any]:
    cells = [cell for cell in tagged(executed, "metrics") if cell.cell_type == "code"]
    assert len(cells) == 1, "exactly one code cell must be tagged `metrics`"
    payloads = [out["data"]["application/json"] for out in cells[0].outputs if "application/json" in out.get("data", {})]
    assert len(payloads) == 1, "the metrics cell must display exactly one JSON object"
    metrics = dict(payloads[0])
    assert all(isinstance(value, (int, float, str, bool)) for value in metrics.values()), metrics
    return metrics


_seen_in_chromium: set[str] = set()

BUDGET_FACTOR = 3


def assert_within_budget(slug: str, seconds: float, expected_minutes: int) -> None:
    """A smoke run may take at most `BUDGET_FACTOR` times the minutes the notebook declares
    (`metadata.portal.resources.expected_minutes`, measured at default parameters): a notebook that grew
    slower than its declaration says fails here instead of surprising the people who queue it."""
    budget = BUDGET_FACTOR * expected_minutes * 60
    assert seconds <= budget, (
        f"{slug}: the smoke run took {seconds:.0f} s, over {BUDGET_FACTOR} x its declared "
        f"expected_minutes={expected_minutes} ({budget} s); measure it again at default parameters and "
        "correct resources.expected_minutes, or make the notebook faster"
    )


def _check_rendering(executed: Any, document: str, slug: str) -> None:
    """The stored HTML shows what the executed notebook holds (every run), and renders in Chromium with
    every image decoded and every math node laid out (the first run of each notebook; screenshot kept)."""
    counts = assert_rendered_like_notebook(executed, document, what=slug)
    # Each `plt.show()` that ran puts a figure into the notebook (the kernel's inline backend).
    shown = sum(cell.source.count("plt.show()") for cell in executed.cells if cell.cell_type == "code")
    assert counts.images >= shown, f"{slug}: {counts.images} images for {shown} plt.show() calls"
    if slug not in _seen_in_chromium:
        _seen_in_chromium.add(slug)
        check_rendered_in_chromium(document, slug)


def run_through_engine(
    path: Path, overrides: dict[str, Any] | None = None, *, inspect_output: Callable[[Path], None] | None = None
) -> dict[str, Any]:
    """Runs the notebook at `path` (smoke parameters + `overrides`) and returns its metrics.

    `inspect_output` is shown the run's `output/<slug>/` folder (what the notebook wrote) before it goes.
    """
    source = nbformat.read(path, as_version=4)
    portal = source.metadata["portal"]
    media = Path(tempfile.mkdtemp(prefix="catalogue-media-"))
    with override_settings(NOTEBOOK_CATALOGUE_DIR=CATALOGUE, NOTEBOOK_KEEP_SCRATCH=True, MEDIA_ROOT=media):
        report = catalogue_sync(actor=None)
        assert path.relative_to(CATALOGUE).as_posix() not in report.invalid, report.invalid
        user, _ = User.objects.get_or_create(username="catalogue-tests")
        RoleGrant.objects.get_or_create(user=user, role=Role.STUDENT, revoked_at=None)
        run = run_enqueue(
            actor=user,
            notebook=Notebook.objects.get(slug=portal["slug"]),
            parameters={**portal.get("smoke_parameters", {}), **(overrides or {})},
            timeout_seconds=900,
        )
        run.refresh_from_db()
        scratch = Path(settings.NOTEBOOK_SCRATCH_DIR) / f"run-{run.pk}-{run.attempt}"
        try:
            assert run.status == Run.Status.SUCCEEDED, f"{run.status}: {run.error}\n{run.traceback[-3000:]}"
            assert run.elapsed_seconds is not None and run.finished_at is not None
            assert_within_budget(portal["slug"], run.elapsed_seconds, portal["resources"]["expected_minutes"])
            if inspect_output is not None:
                inspect_output(scratch / path.parent.name / "output" / portal["slug"])
            executed = nbformat.reads(run.output_notebook.read().decode(), as_version=4)
            _check_rendering(executed, run.output_html.read().decode(), portal["slug"])
            metrics = _metrics_of(executed)
            undeclared = set(portal.get("metrics", {})) - set(metrics)
            assert undeclared == set(), f"metadata.portal.metrics declares metrics the run did not report: {undeclared}"
            if portal.get("deterministic"):  # a claim reuse relies on: the same parameters, the same results
                again = run_enqueue(actor=user, notebook=run.notebook, parameters=run.parameters, timeout_seconds=900)
                again.refresh_from_db()
                shutil.rmtree(Path(settings.NOTEBOOK_SCRATCH_DIR) / f"run-{again.pk}-{again.attempt}", ignore_errors=True)
                assert again.status == Run.Status.SUCCEEDED and again.reused_from_id is None, again.error
                assert again.metrics == run.metrics, f"{portal['slug']} is marked deterministic but its metrics changed"
            return metrics
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(media, ignore_errors=True)


def course_runner(folder: Path) -> Callable[..., dict[str, Any]]:
    """`run_notebook(name, tmp_path, inspect_output=None, **overrides)` for the notebooks of `folder`."""

    def run_notebook(
        name: str, tmp_path: Path, inspect_output: Callable[[Path], None] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        return run_through_engine(folder / name, overrides, inspect_output=inspect_output)

    return run_notebook
