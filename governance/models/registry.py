"""Registry: community models and their versions, each version with its evaluation package."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CommunityModel", "ConflictOfInterest", "ModelVersion"]


class CommunityModel(models.Model):
    """A model of the community. Its versions carry the package, card and licence; owners are people."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="owned_models", verbose_name=_("owners"))
    current_version = models.ForeignKey(
        "governance.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("community model")
        verbose_name_plural = _("community models")

    def __str__(self) -> str:
        return self.slug


def _package_path(instance: ModelVersion, filename: str) -> str:
    return f"packages/{instance.model.slug}/{instance.number}/{filename}"


class ModelVersion(models.Model):
    """One immutable version: a new upload is a new record, and health never carries over between them."""

    model = models.ForeignKey(CommunityModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    version = models.CharField(_("version"), max_length=40)
    licence = models.CharField(_("licence"), max_length=60)
    model_card = models.TextField(_("model card"), blank=True)
    onnx_file = models.FileField(upload_to=_package_path, max_length=300)
    eval_file = models.FileField(upload_to=_package_path, max_length=300)
    metadata = models.JSONField(default=dict)
    onnx_sha256 = models.CharField(max_length=64)
    onnx_bytes = models.PositiveBigIntegerField(default=0)
    opset = models.PositiveIntegerField(default=0)
    eval_samples = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="model_version_number_unique"),
            models.UniqueConstraint(fields=["model", "version"], name="model_version_label_unique"),
        ]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")

    def __str__(self) -> str:
        return f"{self.model.slug} {self.version}"

    @property
    def class_names(self) -> list[str]:
        return list(self.metadata.get("class_names", []))

    @property
    def input_shape(self) -> list[int]:
        return list(self.metadata.get("input_shape", []))


class ConflictOfInterest(models.Model):
    """An auditor's declaration that they must not decide audits of this model."""

    model = models.ForeignKey(CommunityModel, on_delete=models.CASCADE, related_name="conflicts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_conflicts")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["model", "user"], name="conflict_once_per_model")]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.model}"
