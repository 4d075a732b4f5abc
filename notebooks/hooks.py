"""What the run engine asks and tells the domains through the callables they registered in `notebooks.contract`:
the files a run reads, the panels of a notebook's page, and that a run reached an end state.

"A run finished" is an acknowledged event. The hooks are called after the run's end commits; each hook that
returns is recorded on the run (`Run.hooks_done`), and once all have, the run is acknowledged
(`Run.hooks_acknowledged_at`). A hook that raises is logged, its writes roll back, and the run stays
unacknowledged: the reaper (`runs_redrive_hooks`, every `runs_reap` tick) drives it again, with a growing
delay, until every hook has returned. A hook that returned is never called again for that run; the hooks are
idempotent all the same, since two deliveries can overlap when one hangs past its backoff.

A run that reads more than the catalogue (a health evaluation reads a model's package) gets it from the
`run_inputs` callables: `(run) -> {relative path: storage name | bytes}`, copied into the run's scratch
directory before the kernel starts. The runner shares nothing with the web process but the database, the
broker and the storage, so this is how a file reaches a runner on another machine.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from notebooks.contract import hook_name, registered

log = logging.getLogger(__name__)

# The first delivery happens on commit; the reaper leaves a run this long before it delivers instead (a web
# process that died between the commit and its callback).
FIRST_DELIVERY_GRACE = timedelta(seconds=60)
# Delay before delivery n + 1 after delivery n failed: doubling from a minute, at most an hour; never given up.
RETRY_BASE = timedelta(seconds=60)
RETRY_MAX = timedelta(hours=1)
# From this many failed deliveries on, each failure is logged as an error (someone should look).
ATTEMPTS_BEFORE_ALARM = 5
REDRIVE_BATCH = 100


def retry_delay(attempt: int) -> timedelta:
    """How long after delivery `attempt` (1-based) the reaper tries again if it was not acknowledged."""
    return min(RETRY_BASE * 2 ** min(attempt - 1, 16), RETRY_MAX)


def deliver_run_finished(run_id: int) -> bool:
    """One delivery of "run `run_id` finished" to the hooks that have not acknowledged it; True once every
    hook has. The delivery is claimed with a conditional update of the attempt counter, so two drivers
    (the on-commit callback and the reaper, or two reapers) never deliver the same attempt twice. Each hook
    runs in its own savepoint: one that raises leaves nothing half-written."""
    from notebooks.models import Run

    state = (
        Run.objects.filter(pk=run_id, status__in=Run.TERMINAL, hooks_acknowledged_at__isnull=True)
        .values("hook_attempts", "hooks_done")
        .first()
    )
    if state is None:  # gone, not ended, or already acknowledged
        return False
    attempt = state["hook_attempts"] + 1
    claimed = Run.objects.filter(pk=run_id, hook_attempts=attempt - 1, hooks_acknowledged_at__isnull=True).update(
        hook_attempts=attempt, hooks_retry_at=timezone.now() + retry_delay(attempt)
    )
    if not claimed:
        return False
    done = list(state["hooks_done"] or [])
    failed = []
    for hook in registered("run_finished"):
        name = hook_name(hook)
        if name in done:
            continue
        try:
            with transaction.atomic():
                hook(run_id)
        except Exception:  # a domain's bookkeeping must never take the run engine down; the reaper retries
            failed.append(name)
            log.exception("run-finished hook %s failed for run %s (delivery %s)", name, run_id, attempt)
        else:
            done.append(name)
    if failed:
        Run.objects.filter(pk=run_id).update(hooks_done=done)
        report = log.error if attempt >= ATTEMPTS_BEFORE_ALARM else log.warning
        report(
            "run %s: hooks %s not acknowledged after %s deliveries; next delivery in %s",
            run_id,
            ", ".join(failed),
            attempt,
            retry_delay(attempt),
        )
        return False
    Run.objects.filter(pk=run_id).update(hooks_done=done, hooks_acknowledged_at=timezone.now())
    return True


def runs_redrive_hooks(*, now: Any = None) -> list[int]:
    """The reaper's part for finished runs: delivers again every ended run whose hooks have not all
    acknowledged it and whose retry is due (or whose first delivery never happened). Returns the runs that
    are acknowledged now."""
    from notebooks.models import Run

    now = now or timezone.now()
    due = (
        Run.objects.filter(status__in=Run.TERMINAL, hooks_acknowledged_at__isnull=True)
        .filter(Q(hooks_retry_at__lte=now) | Q(hooks_retry_at__isnull=True, finished_at__lt=now - FIRST_DELIVERY_GRACE))
        .order_by("finished_at", "pk")
        .values_list("pk", flat=True)
    )
    return [run_id for run_id in list(due[:REDRIVE_BATCH]) if deliver_run_finished(run_id)]


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
    for provider in registered("run_inputs"):
        inputs.update(provider(run))
    return inputs


def run_finished(run_id: int) -> None:
    """Delivers the end of the run after the current transaction commits (at once outside a transaction);
    the run's slot goes to the next waiting run first."""
    transaction.on_commit(lambda: _after_end(run_id))


def _after_end(run_id: int) -> None:
    _send_next(run_id)
    deliver_run_finished(run_id)


def detail_panels(request: Any, notebook: Any) -> list[SafeString]:
    """Extra panels for a catalogue notebook's page from the domains (`notebook_panel` callables returning
    HTML they rendered and escaped). A failing panel is logged and left out: the page never fails because
    of one."""
    panels = []
    for panel in registered("notebook_panel"):
        try:
            html = panel(request, notebook)
        except Exception:
            log.exception("notebook panel %s failed for %s", hook_name(panel), notebook.pk)
            continue
        if html:
            panels.append(mark_safe(html))  # noqa: S308 — rendered by the domain's own template
    return panels
