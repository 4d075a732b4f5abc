"""What the run engine tells the domains: a run reached an end state.

The engine knows no domain. Apps that start runs for their own purposes (benchmarks, health evaluations)
list a callable `(run_id) -> None` in `settings.NOTEBOOK_RUN_FINISHED_HOOKS`; it is called once per run
end, after the outcome is stored. A failing hook is logged and never changes the run.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def _call_hooks(run_id: int) -> None:
    for path in settings.NOTEBOOK_RUN_FINISHED_HOOKS:
        try:
            import_string(path)(run_id)
        except Exception:  # a domain's bookkeeping must never take the run engine down
            log.exception("run-finished hook %s failed for run %s", path, run_id)


def run_finished(run_id: int) -> None:
    """Calls the hooks after the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _call_hooks(run_id))
