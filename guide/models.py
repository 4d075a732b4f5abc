from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Chapter(models.Model):
    """One repaired chapter of the guide (`ch1`…`ch4`) or the about page (`about`), from guide/content/zh/."""

    slug = models.SlugField(_("slug"), max_length=20, unique=True)
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    source = models.TextField(_("repaired Markdown"))
    source_sha256 = models.CharField(_("source hash"), max_length=64)
    is_guide = models.BooleanField(_("part of the guide"), default=True, help_text=_("Off for the about page."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    """A `##` section of a chapter: the unit claims attach to and search finds."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="sections")
    anchor = models.SlugField(_("anchor"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.TextField(_("plain text"))
    tokens = models.TextField(_("search tokens"), help_text=_("Words and Chinese character bigrams, for full-text search."))

    class Meta:
        ordering = ["chapter__number", "order"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return f"{self.anchor} {self.title}"


class Claim(models.Model):
    """One reviewed claim of the guide: the editorial layer shown as a badge beside the sentence."""

    class Status(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        PARTLY = "partly", _("Partly correct")
        INCORRECT = "incorrect", _("Incorrect")
        GO3S_UNVERIFIABLE = "go3s-unverifiable", _("Go3s-only, unverifiable")
        BENCHMARK_NOT_REPRODUCED = "benchmark-not-reproduced", _("Benchmark not reproduced")

    key = models.SlugField(_("claim id"), max_length=80, unique=True)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="claims")
    quote = models.CharField(
        _("quoted text"), max_length=500, help_text=_("Exact text of the section the badge is placed after.")
    )
    status = models.CharField(_("status"), max_length=32, choices=Status.choices)
    summary_en = models.TextField(_("claim (English)"))
    summary_zh = models.TextField(_("claim (Chinese)"))
    evidence_en = models.TextField(_("evidence (English)"))
    evidence_zh = models.TextField(_("evidence (Chinese)"))
    correction_en = models.TextField(_("correction (English)"), blank=True)
    correction_zh = models.TextField(_("correction (Chinese)"), blank=True)
    go_version_checked_en = models.CharField(_("checked against (English)"), max_length=300)
    go_version_checked_zh = models.CharField(_("checked against (Chinese)"), max_length=300)
    checked_on = models.DateField(_("checked on"))
    broken_command = models.BooleanField(_("does not run as shown"), default=False)
    fix_command = models.TextField(_("working command"), blank=True)
    fix_note_en = models.TextField(
        _("what the working command does (English)"), blank=True, help_text=_("Shown under the working command.")
    )
    fix_note_zh = models.TextField(_("what the working command does (Chinese)"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["section__chapter__number", "section__order", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["verified", "partly", "incorrect", "go3s-unverifiable", "benchmark-not-reproduced"]),
                name="claim_status_valid",
            )
        ]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")

    def __str__(self) -> str:
        return self.key

    def text_for(self, name: str, language: str) -> tuple[str, str]:
        """(text, its language) of a bilingual field (see guide.services.BILINGUAL_FIELDS) for a
        reader of `language`: the Chinese text for a Chinese reader, English where the Chinese one is empty."""
        chinese = str(getattr(self, f"{name}_zh"))
        if language.startswith("zh") and chinese:
            return chinese, "zh-hans"
        return str(getattr(self, f"{name}_en")), "en"
