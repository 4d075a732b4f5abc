from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Institution(models.Model):
    """A university (or other school) whose staff and students use the course materials."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="CN", help_text=_("ISO 3166-1 alpha-2 code."))
    email_domain = models.CharField(_("e-mail domain"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["name_en"], name="institution_name_en_unique")]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name_en
