"""Sponsorship quarters and their allocations. A frozen quarter never changes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Allocation", "Quarter"]


class Quarter(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        FROZEN = "frozen", _("frozen")

    label = models.CharField(_("quarter"), max_length=6, unique=True, help_text=_("Like 2026Q4."))
    pool_minor_units = models.PositiveBigIntegerField(_("pool (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    weight_percent = models.DecimalField(
        _("weight per model (%)"),
        max_digits=9,
        decimal_places=6,
        default=Decimal(3),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    cap_percent = models.DecimalField(
        _("cap on the total share (%)"),
        max_digits=9,
        decimal_places=6,
        default=Decimal(100),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    usd_exchange_rate = models.DecimalField(
        _("US dollars per unit of the currency"),
        max_digits=16,
        decimal_places=8,
        null=True,
        blank=True,
        help_text=_("Recorded in the manifest; the GitHub Sponsors export pays in US dollars."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    stale = models.BooleanField(
        _("computation out of date"), default=False, help_text=_("The pool, weight, cap or rate changed since computing.")
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    computations = models.PositiveIntegerField(default=0)
    eligible_count = models.PositiveIntegerField(default=0)
    allocated_minor_units = models.PositiveBigIntegerField(default=0)
    unallocated_minor_units = models.PositiveBigIntegerField(default=0)
    share = models.CharField(max_length=60, blank=True, help_text=_("Each model's share, as an exact fraction."))
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    manifest = models.JSONField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-label"]
        constraints = [
            models.CheckConstraint(condition=models.Q(label__regex=r"^[0-9]{4}Q[1-4]$"), name="quarter_label_format"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="quarter_currency_format"),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(frozen_at__isnull=False, manifest_sha256__regex=r"^[0-9a-f]{64}$"),
                name="frozen_quarter_is_sealed",
            ),
            # A current computation hands out exactly the pool; only a stale one (inputs edited since) may not.
            models.CheckConstraint(
                condition=models.Q(computations=0)
                | models.Q(stale=True)
                | models.Q(pool_minor_units=models.F("allocated_minor_units") + models.F("unallocated_minor_units")),
                name="computed_quarter_adds_up_to_its_pool",
            ),
            models.CheckConstraint(condition=models.Q(status="open") | models.Q(stale=False), name="frozen_quarter_not_stale"),
        ]
        verbose_name = _("quarter")
        verbose_name_plural = _("quarters")

    def __str__(self) -> str:
        return self.label

    @property
    def frozen(self) -> bool:
        return self.status == self.Status.FROZEN


class Allocation(models.Model):
    quarter = models.ForeignKey(Quarter, on_delete=models.PROTECT, related_name="allocations")
    model = models.ForeignKey("governance.CommunityModel", on_delete=models.PROTECT, related_name="allocations")
    version = models.ForeignKey("governance.ModelVersion", on_delete=models.PROTECT, related_name="+")
    certification = models.ForeignKey("governance.Certification", on_delete=models.PROTECT, related_name="+")
    model_slug = models.SlugField(max_length=80)
    evaluation_ids = models.JSONField(default=list)
    amount_minor_units = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["quarter", "model_slug"]
        # The dashboard's pool split: a quarter's largest allocations first, without sorting every model.
        indexes = [models.Index(fields=["quarter", "-amount_minor_units", "model_slug"], name="allocation_largest_idx")]
        constraints = [models.UniqueConstraint(fields=["quarter", "model"], name="one_allocation_per_model")]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.quarter} {self.model_slug} {self.amount_minor_units}"
