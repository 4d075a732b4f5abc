from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notebooks import queues


class Notebook(models.Model):
    """A catalogue entry, synced from an `.ipynb` file of the repository (`catalogue/`)."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        EVALUATION = "evaluation", _("Evaluation")

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class Accelerator(models.TextChoices):
        CPU = "cpu", _("CPU")
        GPU = "gpu", _("GPU")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    path = models.CharField(_("path in the repository"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    accelerator = models.CharField(_("accelerator"), max_length=8, choices=Accelerator.choices, default=Accelerator.CPU)
    expected_minutes = models.PositiveIntegerField(_("expected minutes"), default=3)
    licence = models.CharField(_("licence"), max_length=40)
    order = models.PositiveIntegerField(_("order"), default=0)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    current_version = models.ForeignKey(
        "NotebookVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("current version")
    )
    is_active = models.BooleanField(_("in the catalogue"), default=True, help_text=_("Off once its file left the repository."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "order", "slug"]
        verbose_name = _("notebook")
        verbose_name_plural = _("notebooks")

    def __str__(self) -> str:
        return self.slug

    def title_for(self, language: str) -> str:
        return self.title_zh if language.startswith("zh") else self.title_en

    def summary_for(self, language: str) -> str:
        return self.summary_zh if language.startswith("zh") else self.summary_en


class NotebookVersion(models.Model):
    """One exact content of a notebook: what a run executed. Immutable once written."""

    notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE, related_name="versions")
    sha256 = models.CharField(_("content hash"), max_length=64)
    source = models.TextField(_("notebook JSON"))
    parameters = models.JSONField(_("parameters"), default=list, help_text=_("Typed parameter specs."))
    metadata = models.JSONField(_("portal metadata"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["notebook", "sha256"], name="notebook_version_unique")]
        verbose_name = _("notebook version")
        verbose_name_plural = _("notebook versions")

    def __str__(self) -> str:
        return f"{self.notebook_id}@{self.sha256[:12]}"

    @property
    def short(self) -> str:
        return self.sha256[:12]


class Runner(models.Model):
    """A Celery worker consuming notebook queues; it registers at start and heartbeats."""

    hostname = models.CharField(_("worker name"), max_length=200, unique=True)
    host = models.CharField(_("host"), max_length=200)
    queues = models.JSONField(_("queues"), default=list)
    cpus = models.PositiveIntegerField(_("CPUs"), default=1)
    memory_mb = models.PositiveIntegerField(_("memory (MB)"), default=0)
    gpu_name = models.CharField(_("GPU"), max_length=200, blank=True)
    gpu_memory_mb = models.PositiveIntegerField(_("GPU memory (MB)"), default=0)
    slots = models.PositiveIntegerField(_("run slots"), default=1, help_text=_("Runs it executes at once (worker concurrency)."))
    toolchain = models.JSONField(_("toolchain versions"), default=dict)
    load_1m = models.FloatField(_("load (1 min)"), default=0.0)
    active_runs = models.PositiveIntegerField(_("active runs"), default=0)
    started_at = models.DateTimeField(_("started at"))
    last_heartbeat = models.DateTimeField(_("last heartbeat"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["hostname"]
        verbose_name = _("runner")
        verbose_name_plural = _("runners")

    def __str__(self) -> str:
        return self.hostname


QUEUE_NAMES = queues.QUEUE_NAMES  # kept importable from here: the engine's modules read it with the models


class Run(models.Model):
    """One execution of one notebook version with one set of parameters."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        TIMED_OUT = "timed_out", _("Timed out")

    class Queue(models.TextChoices):
        CPU = "cpu", _("CPU")
        GPU = "gpu", _("GPU")

    TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT})

    notebook = models.ForeignKey(Notebook, on_delete=models.PROTECT, related_name="runs")
    version = models.ForeignKey(NotebookVersion, on_delete=models.PROTECT, related_name="runs")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notebook_runs")
    parameters = models.JSONField(_("parameters"), default=dict)
    # The notebook this run executes when it is not the version's own (a student's edited lab notebook,
    # labs/): the version stays the one it was edited from, for the diff and the grade book.
    input_source = models.TextField(_("edited notebook"), blank=True, default="")
    queue = models.CharField(_("queue"), max_length=8, choices=Queue.choices, default=Queue.CPU)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    timeout_seconds = models.PositiveIntegerField(_("time limit (s)"))
    memory_limit_mb = models.PositiveIntegerField(_("memory limit (MB)"))
    dispatched_at = models.DateTimeField(_("sent to the queue at"), null=True, blank=True)
    # Fair dispatch (notebooks.fair_queue): the share the run is counted in (a course: "course:<id>";
    # "" for runs outside courses) and that share's cap on runs in service at once (0: none).
    share = models.CharField(_("fair-share group"), max_length=64, blank=True, default="")
    share_cap = models.PositiveIntegerField(_("runs at once in its group"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # Progress, written by the runner as cells complete.
    cells_total = models.PositiveIntegerField(_("cells"), default=0)
    cells_done = models.PositiveIntegerField(_("cells done"), default=0)
    current_cell = models.IntegerField(_("current cell"), null=True, blank=True)
    current_cell_preview = models.CharField(_("current cell"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("runner heartbeat"), null=True, blank=True)
    runner = models.ForeignKey(Runner, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    runner_host = models.CharField(_("runner host"), max_length=200, blank=True)
    gpu_name = models.CharField(_("GPU"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    kernel_ready_at = models.DateTimeField(_("kernel ready at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("execution ended at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cell_seconds = models.JSONField(
        _("seconds per code cell"), default=list, blank=True, help_text=_("As nbclient recorded them: where the time went.")
    )
    # Outcome.
    error = models.TextField(_("error"), blank=True)
    error_cell = models.IntegerField(_("failing cell"), null=True, blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    output_notebook = models.FileField(_("output notebook"), upload_to="runs/", blank=True)
    output_html = models.FileField(_("rendered HTML"), upload_to="runs/", blank=True)
    outputs_truncated = models.BooleanField(_("outputs truncated"), default=False)
    # Reuse of identical results (notebooks.result_cache): the key a succeeded deterministic run records,
    # and, for a run answered from an earlier one, that run.
    result_key = models.CharField(_("result key"), max_length=64, blank=True, default="", db_index=True)
    reused_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reuses", verbose_name=_("same result as")
    )
    peak_memory_mb = models.PositiveIntegerField(_("peak memory (MB)"), default=0)
    # "Run finished" is acknowledged by the domains' hooks (notebooks.hooks): the hooks that returned, the
    # deliveries tried, when the reaper tries again, and when every hook had returned.
    hooks_done = models.JSONField(_("hooks that acknowledged the end"), default=list, blank=True)
    hook_attempts = models.PositiveIntegerField(_("deliveries of the end to the hooks"), default=0)
    hooks_retry_at = models.DateTimeField(_("next delivery to the hooks"), null=True, blank=True)
    hooks_acknowledged_at = models.DateTimeField(_("hooks acknowledged at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="run_owner_recent_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat_idx"),
            models.Index(fields=["queue", "status", "dispatched_at", "created_at"], name="run_waiting_idx"),
            # Fair dispatch: when each share was last served; the wait estimate: the queue's latest successes.
            models.Index(fields=["share", "started_at"], name="run_share_served_idx"),
            models.Index(fields=["queue", "status", "-finished_at"], name="run_queue_recent_idx"),
            models.Index(
                fields=["hooks_retry_at", "finished_at"],
                name="run_hooks_unacknowledged_idx",
                condition=Q(hooks_acknowledged_at__isnull=True),
            ),
            # The few runs still queued or running, in id order: a join from a handful of rows (a model's
            # evaluation runs) to "its runs that are still active" otherwise walks the primary key past every
            # finished run before it finds the first active one (a merge join the statistics make look cheap).
            models.Index(fields=["id"], name="run_active_idx", condition=Q(status__in=["queued", "running"])),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cells_done__lte=models.F("cells_total")), name="run_cells_done_le_total"),
            models.CheckConstraint(condition=Q(attempt__gte=1) & Q(attempt__lte=2), name="run_attempt_1_or_2"),
        ]
        verbose_name = _("run")
        verbose_name_plural = _("runs")

    def __str__(self) -> str:
        return f"run {self.pk} · {self.notebook_id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.cells_done / self.cells_total) if self.cells_total else 0

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def phases(self) -> list[tuple[str, str, float]]:
        """(key, label, seconds) of each phase the run went through: queued, waiting for a kernel,
        executing, rendering and storing. Phases a run never reached are left out."""
        marks = [
            ("queued", _("Queued"), self.created_at, self.started_at),
            ("kernel", _("Waiting for a kernel"), self.started_at, self.kernel_ready_at),
            ("executing", _("Executing"), self.kernel_ready_at, self.executed_at),
            ("storing", _("Rendering and storing"), self.executed_at, self.finished_at),
        ]
        return [
            (key, str(label), max(0.0, (end - start).total_seconds()))
            for key, label, start, end in marks
            if start is not None and end is not None
        ]

    def as_progress(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cells_done": self.cells_done,
            "cells_total": self.cells_total,
            "current_cell": self.current_cell,
            "elapsed_seconds": self.elapsed_seconds,
        }
