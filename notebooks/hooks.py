"""What the run engine asks and tells the domains: the files a run reads, and that a run reached an end state.

The engine knows no domain. Apps that start runs for their own purposes (benchmarks, health evaluations)
list a callable `(run_id) -> None` in `settings.NOTEBOOK_RUN_FINISHED_HOOKS`; it is called once per run
end, after the outcome is stored. A failing hook is logged and never changes the run.

A run that reads more than the catalogue (a health evaluation reads a model's package) gets it from
`settings.NOTEBOOK_RUN_INPUTS`: callables `(run) -> {relative path: storage name | bytes}` that say what the
runner copies into the run's scratch directory before the kernel starts (a name in the default storage, or the
bytes themselves). The runner shares nothing with the web process but the database, the broker and the
storage, so this is how a file reaches a runner on another machine.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)


def _call_hooks(run_id: int) -> None:
    for path in settings.NOTEBOOK_RUN_FINISHED_HOOKS:
        try:
            import_string(path)(run_id)
        except Exception:  # a domain's bookkeeping must never take the run engine down
            log.exception("run-finished hook %s failed for run %s", path, run_id)


def _send_next(run_id: int) -> None:
    """A runner slot just came free: the fairest waiting run of the same queue goes to it."""
    from notebooks.fair_queue import dispatch_fairly
    from notebooks.models import Run

    queue = Run.objects.filter(pk=run_id).values_list("queue", flat=True).first()
    if queue is None:
        return
    try:
        dispatch_fairly(queue)
    except Exception:  # the dispatcher's beat tick sends it instead
        log.exception("dispatching after run %s ended failed", run_id)


def run_inputs(run: Any) -> dict[str, str | bytes]:
    """What the domains say the run reads besides the catalogue. A failing provider fails the run (the caller
    says so on it): a run started without its inputs would measure nothing."""
    inputs: dict[str, str | bytes] = {}
    for path in getattr(settings, "NOTEBOOK_RUN_INPUTS", []):
        inputs.update(import_string(path)(run))
    return inputs


def run_finished(run_id: int) -> None:
    """Calls the hooks after the current transaction commits (at once outside a transaction); the run's
    slot goes to the next waiting run first."""
    transaction.on_commit(lambda: _after_end(run_id))


def _after_end(run_id: int) -> None:
    _send_next(run_id)
    _call_hooks(run_id)


def detail_panels(request: Any, notebook: Any) -> list[SafeString]:
    """Extra panels for a catalogue notebook's page from the domains (`settings.NOTEBOOK_DETAIL_PANELS`:
    dotted callables `(request, notebook) -> str | None` returning HTML they rendered and escaped). A
    failing panel is logged and left out: the page never fails because of one."""
    panels = []
    for path in getattr(settings, "NOTEBOOK_DETAIL_PANELS", []):
        try:
            html = import_string(path)(request, notebook)
        except Exception:
            log.exception("notebook panel %s failed for %s", path, notebook.pk)
            continue
        if html:
            panels.append(mark_safe(html))  # noqa: S308 — rendered by the domain's own template
    return panels
