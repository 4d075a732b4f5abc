"""Reads of the run engine. Run visibility can be widened by other apps (an instructor sees the runs of
their course) with `notebooks.contract.run_visibility`: callables `(user) -> Q`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Role
from accounts.selectors import user_has_role
from notebooks.contract import registered
from notebooks.fair_queue import places_in_line
from notebooks.models import Notebook, Run, Runner


def notebook_list(*, kind: str = "") -> QuerySet[Notebook]:
    notebooks = Notebook.objects.filter(is_active=True).select_related("current_version")
    if kind:
        notebooks = notebooks.filter(kind=kind)
    return notebooks


def notebook_get(slug: str) -> Notebook:
    notebook = Notebook.objects.filter(slug=slug, is_active=True).select_related("current_version").first()
    if notebook is None:
        raise NotFound("No such notebook in the catalogue.")
    return notebook


def _visibility(user: Any) -> Q:
    if user_has_role(user, Role.ADMINISTRATOR):
        return Q()
    condition = Q(owner_id=user.pk)
    for widen in registered("run_visibility"):
        condition |= widen(user)
    return condition


# What a list of runs shows of each run, its notebook, version and owner: the run API (`apis.RunSerializer`, with the
# place in line), my runs and my work. Reading only these leaves out the traceback, a lab notebook's source, and the
# notebook's and version's source, specs and metadata (some 4 KB of JSON per row).
RUN_LIST_FIELDS = (
    "notebook__slug", "version__sha256", "owner__username", "status", "parameters", "queue", "attempt",
    "cells_done", "cells_total", "current_cell", "current_cell_preview", "dispatched_at", "cancel_requested",
    "metrics", "error", "error_cell", "runner_host", "gpu_name", "timeout_seconds", "memory_limit_mb",
    "peak_memory_mb", "outputs_truncated", "created_at", "started_at", "finished_at", "output_html",
    "output_notebook", "reused_from_id",
)  # fmt: skip


def run_list_for_user(user: Any, *, mine_only: bool = True) -> QuerySet[Run]:
    """`user`'s own runs, or (`mine_only=False`) every run they may see: an administrator all, others their own plus
    what the domains' `run_visibility` callables open to them (a course's instructors, a benchmark's maintainers)."""
    runs = Run.objects.select_related("notebook", "version", "owner").only(*RUN_LIST_FIELDS)
    return runs.filter(owner_id=user.pk) if mine_only else runs.filter(_visibility(user))


def run_get_for_user(user: Any, pk: int) -> Run:
    """The run if `user` may see it; a run of someone else is simply not found."""
    run = Run.objects.select_related("notebook", "version", "owner", "runner").filter(_visibility(user), pk=pk).first()
    if run is None:
        raise NotFound("No such run.")
    return run


def run_list_by_ids_for_user(user: Any, pks: list[int]) -> list[Run]:
    """The runs `pks`, in that order, if `user` may see every one of them (one query); else NotFound."""
    found = {
        run.pk: run
        for run in Run.objects.select_related("notebook", "version")
        .defer("traceback", "version__source")
        .filter(_visibility(user), pk__in=pks)
    }
    if len(found) != len(set(pks)):
        raise NotFound("No such run.")
    return [found[pk] for pk in pks]


def runner_list() -> QuerySet[Runner]:
    return Runner.objects.all()


def runner_is_online(runner: Runner) -> bool:
    limit = timedelta(seconds=settings.NOTEBOOK_RUNNER_HEARTBEAT_SECONDS * 3)
    return runner.stopped_at is None and runner.last_heartbeat >= timezone.now() - limit


def queue_positions(runs: list[Run]) -> dict[int, int]:
    """Place in line of every queued run in `runs` (1: next to start): the runs already sent to the runners
    first, then the waiting ones in the order the fair dispatcher will send them (`fair_queue.queue_line`)."""
    return {run_id: place for _, places in places_in_line(runs).values() for run_id, place in places.items()}


def queue_position(run: Run) -> int | None:
    """Where a queued run stands in its queue's line (see `queue_positions`); None once it started."""
    if run.status != Run.Status.QUEUED:
        return None
    return queue_positions([run]).get(run.pk)
