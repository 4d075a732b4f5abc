"""Curation models: datasets with items and annotations, rulings, PII scans, flags and the deny-list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Annotation", "Dataset", "DatasetItem", "PiiFlag", "PiiScan", "PiiTerm", "Ruling"]


class Dataset(models.Model):
    """One version of a dataset. A new version is a new row with the same slug and the next number."""

    audit_object_type = "governance.dataset"  # its history in the audit log began under governance

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", _("Released")
        BLOCKED = "blocked", _("Blocked")

    slug = models.SlugField(_("slug"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="datasets")
    licence = models.CharField(_("licence"), max_length=60)
    description = models.TextField(_("description (Markdown)"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    state_reason = models.TextField(_("reason for the state"), blank=True)
    # Labels a curator added to the label set beyond those the annotators used (dataset_label_add, logged).
    labels = models.JSONField(_("added labels"), default=list, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "governance_dataset"  # the table kept its name when the model left governance
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="dataset_slug_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="dataset_version_positive"),
        ]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"


class DatasetItem(models.Model):
    """One text to label. `final_label` is the majority label or a curator's ruling (empty: undecided)."""

    audit_object_type = "governance.datasetitem"  # its history in the audit log began under governance

    class Source(models.TextChoices):
        NONE = "", _("Undecided")
        MAJORITY = "majority", _("Majority")
        RULING = "ruling", _("Ruling")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(_("item id"), max_length=100)
    text = models.TextField(_("text"))
    final_label = models.CharField(_("final label"), max_length=100, blank=True)
    final_label_source = models.CharField(_("decided by"), max_length=16, choices=Source.choices, blank=True, default="")
    removed = models.BooleanField(_("removed"), default=False, help_text=_("Taken out for privacy; not released."))
    scanned_at = models.DateTimeField(_("PII-scanned at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "governance_datasetitem"  # the table kept its name when the model left governance
        ordering = ["dataset", "id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "key"], name="dataset_item_key_unique")]
        verbose_name = _("dataset item")
        verbose_name_plural = _("dataset items")

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.key}"


class Annotation(models.Model):
    """One annotator's label for one item (annotators are named in the upload; they need no login)."""

    audit_object_type = "governance.annotation"  # its history in the audit log began under governance

    item = models.ForeignKey(DatasetItem, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.CharField(_("annotator"), max_length=100)
    label = models.CharField(_("label"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "governance_annotation"  # the table kept its name when the model left governance
        ordering = ["item", "annotator"]
        constraints = [models.UniqueConstraint(fields=["item", "annotator"], name="annotation_item_annotator_unique")]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"{self.annotator}: {self.label}"


class Ruling(models.Model):
    """A curator's decision on an item without a majority: it sets the item's final label."""

    audit_object_type = "governance.ruling"  # its history in the audit log began under governance

    item = models.ForeignKey(DatasetItem, on_delete=models.CASCADE, related_name="rulings")
    curator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rulings")
    label = models.CharField(_("label"), max_length=100)
    reason = models.TextField(_("reason (Markdown)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "governance_ruling"  # the table kept its name when the model left governance
        ordering = ["-created_at", "-id"]
        verbose_name = _("ruling")
        verbose_name_plural = _("rulings")

    def __str__(self) -> str:
        return f"{self.item} → {self.label}"


class PiiTerm(models.Model):
    """A medical term on the curators' deny-list: every occurrence in an item is flagged."""

    audit_object_type = "governance.piiterm"  # its history in the audit log began under governance

    term = models.CharField(_("term"), max_length=100, unique=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "governance_piiterm"  # the table kept its name when the model left governance
        ordering = ["term"]
        verbose_name = _("deny-listed term")
        verbose_name_plural = _("deny-listed terms")

    def __str__(self) -> str:
        return self.term


class PiiScan(models.Model):
    """One background scan of a dataset's item texts; it records its progress as it goes."""

    audit_object_type = "governance.piiscan"  # its history in the audit log began under governance

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="pii_scans")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    items_total = models.PositiveIntegerField(_("items"), default=0)
    items_done = models.PositiveIntegerField(_("items scanned"), default=0)
    flags_found = models.PositiveIntegerField(_("new flags"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = "governance_piiscan"  # the table kept its name when the model left governance
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(items_done__lte=F("items_total")), name="pii_scan_done_le_total")]
        verbose_name = _("PII scan")
        verbose_name_plural = _("PII scans")

    def __str__(self) -> str:
        return f"scan {self.pk} · {self.dataset}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.items_done / self.items_total) if self.items_total else 0


class PiiFlag(models.Model):
    """A span of an item's text that looks like personal data, waiting for a curator's verdict.

    open → true positive → resolved (span redacted or item removed), or open → false positive.
    """

    audit_object_type = "governance.piiflag"  # its history in the audit log began under governance

    class Status(models.TextChoices):
        OPEN = "open", _("Not reviewed")
        TRUE_POSITIVE = "true_positive", _("True positive")
        FALSE_POSITIVE = "false_positive", _("False positive")
        RESOLVED = "resolved", _("Resolved")

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone number")
        EMAIL = "email", _("E-mail address")
        RESIDENT_ID = "resident_id", _("Resident ID number")
        MEDICAL_RECORD = "medical_record", _("Medical record number")
        DENY_TERM = "deny_term", _("Deny-listed term")

    class Resolution(models.TextChoices):
        NONE = "", _("None")
        REDACTED = "redacted", _("Span redacted")
        REMOVED = "removed", _("Item removed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="pii_flags")
    item = models.ForeignKey(DatasetItem, on_delete=models.CASCADE, related_name="pii_flags")
    scan = models.ForeignKey(PiiScan, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("flagged text"), max_length=500)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True, default="")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "governance_piiflag"  # the table kept its name when the model left governance
        ordering = ["item_id", "start", "id"]
        constraints = [
            # A second scan finds the same spans again: they are not flagged twice.
            models.UniqueConstraint(fields=["item", "start", "end", "kind"], name="pii_flag_span_unique"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="pii_flag_span_not_empty"),
        ]
        verbose_name = _("PII flag")
        verbose_name_plural = _("PII flags")

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}[{self.start}:{self.end}]"

    @property
    def blocks_release(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.TRUE_POSITIVE}
