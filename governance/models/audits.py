"""Audits of community models: draft → submitted → accepted | rejected | changes requested (→ submitted)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Audit", "AuditComment", "AuditEvidence", "Finding"]


class Audit(models.Model):
    class Kind(models.TextChoices):
        SECURITY = "security", _("security")
        BIAS = "bias", _("bias")
        COMPLIANCE = "compliance", _("compliance")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        CHANGES_REQUESTED = "changes_requested", _("changes requested")

    model = models.ForeignKey("governance.CommunityModel", on_delete=models.PROTECT, related_name="audits")
    version = models.ForeignKey("governance.ModelVersion", on_delete=models.PROTECT, related_name="audits")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audits")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submissions = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="decided_audits"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "-updated_at"])]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.CHANGES_REQUESTED}


class Finding(models.Model):
    class Severity(models.TextChoices):
        INFO = "info", _("info")
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")
        CRITICAL = "critical", _("critical")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title}"


class AuditEvidence(models.Model):
    """A file, a notebook run or a link that backs the audit; exactly one of the three."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="audit-evidence/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True)
    run = models.ForeignKey("notebooks.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    link = models.URLField(blank=True, max_length=500)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(run__isnull=False, file="", link="")
                    | models.Q(run__isnull=True, link="", file__gt="")
                    | models.Q(run__isnull=True, file="", link__gt="")
                ),
                name="evidence_is_one_thing",
            )
        ]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.file_name or self.link or f"run {self.run_id}"


class AuditComment(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"comment {self.pk} on audit {self.audit_id}"
