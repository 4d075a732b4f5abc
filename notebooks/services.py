"""Writes of the run engine: syncing the catalogue, enqueuing, dispatching, cancelling, reaping runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.audit import audit_log_record
from accounts.errors import ApplicationError, NotAllowed, TooLarge, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role, user_roles
from notebooks.catalogue import CatalogueEntry, NotebookInvalid, read_notebook
from notebooks.fair_queue import dispatch_all_queues, dispatch_fairly, runner_seconds_used
from notebooks.hooks import run_finished, runs_redrive_hooks
from notebooks.models import QUEUE_NAMES, Notebook, NotebookVersion, Run
from notebooks.parameters import validate_parameters
from notebooks.result_cache import copy_of, reusable_result

log = logging.getLogger(__name__)


# --- catalogue --------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    invalid: dict[str, list[str]] = field(default_factory=dict)


def notebook_check(raw: bytes) -> CatalogueEntry:
    """A contributor's notebook checked against the catalogue format (nothing is stored or executed)."""
    if len(raw) > settings.NOTEBOOK_UPLOAD_MAX_BYTES:
        raise TooLarge(f"A notebook may be at most {settings.NOTEBOOK_UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return read_notebook(raw)
    except NotebookInvalid as invalid:
        raise ApplicationError(
            "This notebook does not fit the catalogue format.", code="invalid_notebook", fields={"notebook": invalid.problems}
        ) from None


def _apply_entry(entry: CatalogueEntry, relative_path: str) -> tuple[Notebook, str]:
    fields = {
        "path": relative_path,
        "title_en": entry.title_en,
        "title_zh": entry.title_zh,
        "summary_en": entry.summary_en,
        "summary_zh": entry.summary_zh,
        "level": entry.level,
        "kind": entry.kind,
        "accelerator": entry.accelerator,
        "expected_minutes": entry.expected_minutes,
        "licence": entry.licence,
        "order": entry.order,
        "tags": entry.tags,
        "is_active": True,
    }
    notebook, created = Notebook.objects.get_or_create(slug=entry.slug, defaults=fields)
    version, version_created = NotebookVersion.objects.get_or_create(
        notebook=notebook,
        sha256=entry.sha256,
        defaults={"source": entry.source, "parameters": entry.parameters, "metadata": entry.metadata},
    )
    changed = created or version_created or notebook.current_version_id != version.pk or not notebook.is_active
    for name, value in fields.items():
        if getattr(notebook, name) != value:
            setattr(notebook, name, value)
            changed = True
    notebook.current_version = version
    notebook.save()
    return notebook, "added" if created else "updated" if changed else "unchanged"


def catalogue_sync(*, actor: User | None, root: Path | None = None) -> SyncReport:
    """Brings the catalogue in line with the `.ipynb` files under `root`; each new content is a new version.

    Invalid files are reported, not imported; notebooks whose file is gone leave the catalogue (their
    runs and versions stay).
    """
    root = Path(root or settings.NOTEBOOK_CATALOGUE_DIR)
    report = SyncReport()
    seen: set[str] = set()
    with transaction.atomic():
        for path in sorted(root.glob("*/*.ipynb")):
            relative = str(path.relative_to(root))
            try:
                entry = read_notebook(path.read_bytes())
            except NotebookInvalid as invalid:
                report.invalid[relative] = invalid.problems
                continue
            if entry.slug in seen:
                report.invalid[relative] = [f"slug {entry.slug!r} is used by another notebook"]
                continue
            seen.add(entry.slug)
            notebook, outcome = _apply_entry(entry, relative)
            getattr(report, outcome).append(notebook.slug)
        for notebook in Notebook.objects.filter(is_active=True).exclude(slug__in=seen):
            notebook.is_active = False
            notebook.save(update_fields=["is_active", "updated_at"])
            report.retired.append(notebook.slug)
        if report.added or report.updated or report.retired:
            audit_log_record(
                actor=actor,
                action="catalogue.sync",
                object_type="notebooks.notebook",
                after={
                    "added": report.added,
                    "updated": report.updated,
                    "retired": report.retired,
                    "invalid": sorted(report.invalid),
                },
            )
    return report


# --- runs -------------------------------------------------------------------------------------------


def student_run_maxima() -> tuple[int, int]:
    """(seconds, megabytes) the portal allows a student's run: the student maxima, under the portal maxima."""
    return (
        min(settings.NOTEBOOK_STUDENT_MAX_TIMEOUT, settings.NOTEBOOK_MAX_TIMEOUT),
        min(settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB, settings.NOTEBOOK_MAX_MEMORY_MB),
    )


def run_limits_for(user: User) -> tuple[int, int]:
    """(seconds, megabytes) a run of `user` may ask for: the portal's maxima, or the lower student maxima
    for someone whose only role is student."""
    if is_student_only(user):
        return student_run_maxima()
    return settings.NOTEBOOK_MAX_TIMEOUT, settings.NOTEBOOK_MAX_MEMORY_MB


def run_queue_for(notebook: Notebook, queue: str | None) -> str:
    """The queue runs of `notebook` go to: the one asked for, else the notebook's accelerator; an unknown
    queue is a 400 on the `queue` field. Every service that takes a queue for runs checks it here."""
    queue = queue or notebook.accelerator
    if queue not in Run.Queue.values:
        raise ApplicationError("Choose the cpu or gpu queue.", fields={"queue": ["Must be cpu or gpu."]})
    return queue


def _may_run(user: User) -> bool:
    return bool(user_roles(user)) or user.is_staff


def run_enqueue(
    *,
    actor: User,
    notebook: Notebook,
    parameters: Any,
    queue: str | None = None,
    timeout_seconds: int | None = None,
    memory_limit_mb: int | None = None,
    version: NotebookVersion | None = None,
    owner: User | None = None,
    per_user_quota: bool = True,
    share: str = "",
    share_cap: int = 0,
    reuse: bool = False,
    ceiling: tuple[int, int] | None = None,
    may_run_without_role: bool = False,
    input_source: str = "",
) -> Run:
    """Validates the parameters and queues a run of the notebook's current (or a pinned) version.

    `may_run_without_role=True` is for a domain that has checked its own permission for this run (a model's
    owner evaluating their own model): the "needs a role" rule does not apply; the quota still does.

    `per_user_quota=False` is for work the portal does for everyone rather than for the person who pressed
    the button (a steward re-evaluating every certified model): the per-person cap on active runs does not
    apply, the runs still wait their turn in the queue.

    `owner` (default: the actor) is whose run it is: a domain that starts a run on someone's behalf (an
    instructor re-running a student's assignment) checks that permission itself; the audit entry names
    the actor who started it.

    `share` is the group the run is served fairly in (a course: "course:<id>"; see `notebooks.fair_queue`)
    and `share_cap` that group's limit on runs at once (0: none). Someone whose only role is student also
    has a weekly budget of runner time (`NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES`).

    `reuse=True` lets a deterministic notebook's identical earlier result answer at once
    (`notebooks.result_cache`); the caller decides (never for certifying evaluations or benchmarks).

    `input_source` is a notebook to execute instead of the version's (a student's edited lab notebook, already
    validated by the caller); it is never answered from an earlier result.

    `ceiling` (seconds, megabytes) lowers the owner's limits further, for a domain that sets its own (a
    course's run limits): the defaults and the range check both stay under it.

    Nothing is queued unless every parameter is valid. The message is sent after commit; if the broker
    cannot be reached the run stays queued with `dispatched_at` empty and is sent by `runs_redispatch`
    as soon as the broker answers again, so a submission is never lost.
    """
    if not may_run_without_role and not _may_run(actor):
        raise NotAllowed("Running notebooks needs a role in the community: apply for one first.", code="no_role")
    if not notebook.is_active or notebook.current_version_id is None:
        raise WrongState("This notebook is no longer in the catalogue.", code="notebook_retired")
    version = version or notebook.current_version
    assert version is not None
    if version.notebook_id != notebook.pk:
        raise ApplicationError("That version belongs to another notebook.", fields={"version": ["Unknown version."]})
    values = validate_parameters(version.parameters, parameters)
    queue = run_queue_for(notebook, queue)
    max_timeout, max_memory = run_limits_for(owner or actor)
    if ceiling is not None:
        max_timeout, max_memory = min(max_timeout, ceiling[0]), min(max_memory, ceiling[1])
    timeout = timeout_seconds or min(max_timeout, max(settings.NOTEBOOK_DEFAULT_TIMEOUT, notebook.expected_minutes * 60 * 3))
    if not 10 <= timeout <= max_timeout:
        raise ApplicationError("Time limit out of range.", fields={"timeout_seconds": [f"Between 10 and {max_timeout} seconds."]})
    memory = memory_limit_mb or min(settings.NOTEBOOK_DEFAULT_MEMORY_MB, max_memory)
    if not 256 <= memory <= max_memory:
        raise ApplicationError("Memory limit out of range.", fields={"memory_limit_mb": [f"Between 256 and {max_memory} MB."]})

    owner = owner or actor
    with transaction.atomic():
        # Serialise one user's submissions so the quota check cannot be raced.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        active = Run.objects.filter(owner=owner, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).count()
        capped = per_user_quota and not user_has_role(owner, Role.ADMINISTRATOR)
        if capped and active >= settings.NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER:
            who = "You already have" if owner == actor else "This person already has"
            raise WrongState(f"{who} {active} runs queued or running; wait for one to finish.", code="too_many_active_runs")
        if per_user_quota and is_student_only(owner):
            _check_weekly_budget(owner, actor)
        fields = {
            "notebook": notebook,
            "version": version,
            "owner": owner,
            "parameters": values,
            "queue": queue,
            "timeout_seconds": timeout,
            "memory_limit_mb": memory,
            "share": share[:64],
            "share_cap": share_cap,
            "input_source": input_source,
        }
        source = reusable_result(version, values, queue) if reuse and not input_source else None
        if source is not None:
            run = copy_of(source, **fields)
            audit_log_record(actor=actor, action="run.reuse", obj=run, after={"same_result_as": source.pk, "parameters": values})
            run_finished(run.pk)
            return run
        run = Run.objects.create(**fields)
        audit_log_record(
            actor=actor,
            action="run.enqueue",
            obj=run,
            after={
                "notebook": notebook.slug,
                "version": version.sha256,
                "parameters": values,
                "queue": queue,
                **({"owner": owner.pk} if owner != actor else {}),
            },
        )
        transaction.on_commit(lambda: dispatch_fairly(queue))
    return run


def is_student_only(user: User) -> bool:
    roles = user_roles(user)
    return bool(roles) and roles <= {Role.STUDENT}


def weekly_budget_seconds() -> int:
    return settings.NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES * 60


def _check_weekly_budget(owner: User, actor: User) -> None:
    budget = weekly_budget_seconds()
    if not budget:
        return
    used = runner_seconds_used(owner)
    if used >= budget:
        who = "You have" if owner == actor else "This person has"
        raise WrongState(
            f"{who} used {used // 60} of {budget // 60} runner-minutes this week; runs older than seven days stop counting.",
            code="weekly_runner_time_used",
        )


def run_dispatch(*, run_id: int) -> bool:
    """Sends the run's message to its queue; True when the broker took it. Called after commit."""
    from notebooks.tasks import run_execute

    run = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).first()
    if run is None:
        return False
    try:
        run_execute.apply_async(
            args=(run.pk, run.attempt),
            queue=QUEUE_NAMES[run.queue],
            soft_time_limit=run.timeout_seconds + 60,
            time_limit=run.timeout_seconds + settings.NOTEBOOK_TASK_GRACE_SECONDS,
        )
    except OperationalError:
        log.warning("broker unreachable: run %s stays queued and will be dispatched later", run.pk)
        return False
    except Exception:  # any other client failure: the run is safe in the database, sent again later
        log.exception("sending run %s failed: it stays queued and will be dispatched later", run.pk)
        return False
    Run.objects.filter(pk=run.pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return True


def run_cancel(*, actor: User, run: Run) -> Run:
    """A queued run is cancelled at once; a running one is interrupted by its runner within a second."""
    if run.owner_id != actor.pk and not user_has_role(actor, Role.ADMINISTRATOR):
        audit_log_record(actor=actor, action="run.cancel.denied", obj=run)
        raise NotAllowed("Only the person who started a run (or an administrator) can cancel it.")
    with transaction.atomic():
        now = timezone.now()
        if Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELLED,
            cancel_requested=True,
            finished_at=now,
            error="cancelled before it started",
            updated_at=now,
        ):
            audit_log_record(
                actor=actor, action="run.cancel", obj=run, before={"status": "queued"}, after={"status": "cancelled"}
            )
            run_finished(run.pk)
        elif Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(cancel_requested=True, updated_at=now):
            audit_log_record(
                actor=actor, action="run.cancel", obj=run, before={"status": "running"}, after={"cancel_requested": True}
            )
        else:
            run.refresh_from_db(fields=["status"])
            raise WrongState(f"This run has already ended ({run.get_status_display().lower()}).", code="run_ended")
    run.refresh_from_db()
    return run


def runs_reap(*, now: Any = None) -> dict[str, list[int]]:
    """Runs whose runner stopped heartbeating: re-queued once, failed with "runner lost" the second time.
    Ended runs whose hooks have not all acknowledged the end are delivered again (`notebooks.hooks`)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.NOTEBOOK_RUN_HEARTBEAT_TIMEOUT)
    stale = Run.objects.filter(status=Run.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
    )
    result: dict[str, list[int]] = {"requeued": [], "failed": []}
    for run in stale.only("pk", "attempt", "runner_host", "queue"):
        lost = f"runner lost: {run.runner_host or 'its runner'} stopped sending heartbeats"
        if run.attempt < 2:
            requeued = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, attempt=run.attempt).update(
                status=Run.Status.QUEUED,
                attempt=run.attempt + 1,
                cells_done=0,
                current_cell=None,
                current_cell_preview="",
                started_at=None,
                heartbeat_at=None,
                dispatched_at=None,
                runner=None,
                error=f"{lost}; re-queued",
                updated_at=now,
            )
            if requeued:
                audit_log_record(actor=None, action="run.requeue", obj=run, after={"reason": lost, "attempt": run.attempt + 1})
                result["requeued"].append(run.pk)
                transaction.on_commit(_dispatch_later(run.queue))
        else:
            failed = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, attempt=run.attempt).update(
                status=Run.Status.FAILED, error=f"{lost} (second attempt)", finished_at=now, updated_at=now
            )
            if failed:
                audit_log_record(actor=None, action="run.fail_lost", obj=run, after={"reason": lost})
                run_finished(run.pk)
                result["failed"].append(run.pk)
    result["acknowledged"] = runs_redrive_hooks(now=now)
    return result


def _dispatch_later(queue: str) -> Any:
    return lambda: dispatch_fairly(queue)


def runs_redispatch() -> list[int]:
    """The dispatcher's tick: sends waiting runs to free runner slots, fairest first (also every run whose
    message never reached the broker because it was down at submit)."""
    return dispatch_all_queues()
