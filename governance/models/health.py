"""Model health: evaluations per dimension and the certifications they support, each naming its methodology version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Certification", "CertificationReminder", "Dimension", "Evaluation", "EvaluationRun", "Reevaluation"]


class Dimension(models.TextChoices):
    ROBUSTNESS = "robustness", _("robustness")
    EXPLAINABILITY = "explainability", _("explainability")
    ENERGY = "energy", _("energy efficiency")


class Evaluation(models.Model):
    """One measured value. Counted when verified (a portal runner produced it) or accepted by a second auditor."""

    class Provenance(models.TextChoices):
        VERIFIED = "verified", _("verified")
        COMMUNITY = "community", _("community")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a second auditor")
        COUNTED = "counted", _("counted")
        REJECTED = "rejected", _("rejected")

    version = models.ForeignKey("governance.ModelVersion", on_delete=models.CASCADE, related_name="evaluations")
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=40)
    provenance = models.CharField(max_length=10, choices=Provenance.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    methodology_version = models.CharField(max_length=10, default="v1")
    run = models.ForeignKey("notebooks.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence_file = models.FileField(upload_to="evaluation-evidence/%Y/%m/", blank=True, max_length=300)
    evidence_note = models.TextField(_("evidence"), blank=True)
    # Energy only: how it was measured.
    backend = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=40, blank=True)
    carbon_intensity_g_per_kwh = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    estimated = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="submitted_evaluations"
    )
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    measured_at = models.DateTimeField()
    counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [
            models.Index(fields=["version", "dimension", "status", "-counted_at"]),
            # Values waiting for a second auditor: a handful among 100,000 counted ones.
            models.Index(fields=["measured_at"], condition=models.Q(status="pending"), name="evaluation_pending_idx"),
            # A version's latest counted value of a dimension (`selectors.health._latest`, seven per model row):
            # read from the index alone, newest first, without a sort.
            models.Index(
                fields=["version", "dimension", "-measured_at", "-id"],
                include=["value", "estimated"],
                condition=models.Q(status="counted"),
                name="evaluation_latest_counted_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(provenance="verified") | models.Q(run__isnull=False), name="verified_has_run"
            ),
            models.UniqueConstraint(fields=["run"], condition=models.Q(run__isnull=False), name="one_evaluation_per_run"),
        ]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{self.dimension} {self.value} {self.unit}"

    @property
    def counted(self) -> bool:
        return self.status == self.Status.COUNTED


class Reevaluation(models.Model):
    """A steward's one action: every model certified at that moment evaluated again under a methodology version.

    Its progress is read from its evaluation runs (queued, running, counted, not counted); nothing is copied.
    """

    methodology_version = models.CharField(max_length=10)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    models_started = models.PositiveIntegerField(default=0)
    skipped = models.TextField(blank=True)  # one "slug: reason" per line
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("re-evaluation")
        verbose_name_plural = _("re-evaluations")

    def __str__(self) -> str:
        return f"re-evaluation #{self.pk} under {self.methodology_version}"


class EvaluationRun(models.Model):
    """A portal run of an evaluation notebook against a model version; its outcome becomes a verified value."""

    version = models.ForeignKey("governance.ModelVersion", on_delete=models.CASCADE, related_name="evaluation_runs")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    run = models.OneToOneField("notebooks.Run", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluation = models.OneToOneField(Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=500, blank=True)
    methodology_version = models.CharField(max_length=10, default="v1")
    reevaluation = models.ForeignKey(Reevaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return f"{self.dimension} run {self.run_id}"


class Certification(models.Model):
    """The current version passed all three dimensions on these counted values, from `valid_from` to `expires_at`.

    Only one certification per version is active at a time; it ends early when a new version appears, when a
    newer counted value fails, or when it is suspended by a critical security finding.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUPERSEDED = "superseded", _("superseded by newer values")
        ENDED = "ended", _("ended")
        SUSPENDED = "suspended", _("suspended")

    version = models.ForeignKey("governance.ModelVersion", on_delete=models.CASCADE, related_name="certifications")
    model = models.ForeignKey("governance.CommunityModel", on_delete=models.CASCADE, related_name="certifications")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    methodology_version = models.CharField(max_length=10, default="v1")
    robustness = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    explainability = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    energy = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    suspended_by_audit = models.ForeignKey("governance.Audit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["version"], condition=models.Q(status="active"), name="one_active_certification"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            # Whether a model is certified now (`selectors.health.certified_of_current_version`, tested for each
            # row of the model lists) read from the index alone.
            models.Index(
                fields=["model", "version", "expires_at"],
                include=["id"],
                condition=models.Q(status="active"),
                name="certification_active_idx",
            ),
        ]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return f"{self.version} {self.status}"

    @property
    def evaluation_ids(self) -> list[int]:
        return sorted([self.robustness_id, self.explainability_id, self.energy_id])


class CertificationReminder(models.Model):
    """That the owners were told a certification is about to expire (30 or 7 days ahead) or has expired.

    One row per certification and threshold, claimed before telling: the daily job may run twice, the owners
    hear once.
    """

    class Threshold(models.TextChoices):
        DAYS_30 = "expiring_30", _("expires within 30 days")
        DAYS_7 = "expiring_7", _("expires within 7 days")
        EXPIRED = "expired", _("expired")

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="reminders")
    threshold = models.CharField(max_length=12, choices=Threshold.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["certification", "threshold"], name="one_reminder_per_threshold")]
        verbose_name = _("certification reminder")
        verbose_name_plural = _("certification reminders")

    def __str__(self) -> str:
        return f"{self.certification} {self.threshold}"
