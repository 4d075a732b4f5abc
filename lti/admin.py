"""The administrator registers LMS platforms here; saving goes through the audited service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAdmin
from lti.models import ContextBinding, GradeSend, Platform
from lti.services.platforms import platform_delete, platform_save


def _https_formfield(db_field: Any, **kwargs: Any) -> Any:
    """An LMS's endpoints are HTTPS: a URL typed without a scheme is one."""
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class PlatformForm(forms.ModelForm[Platform]):
    """Deployment ids as the LMS shows them: comma- or line-separated, not JSON."""

    deployment_ids = forms.CharField(label=_("deployment ids"), help_text=_("Comma-separated, as the LMS shows them."))

    class Meta:
        model = Platform
        formfield_callback = _https_formfield
        fields = [
            "name", "institution", "issuer", "client_id", "deployment_ids",
            "auth_login_url", "auth_token_url", "auth_audience", "keyset_url",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["deployment_ids"] = ", ".join(self.instance.deployment_ids)

    def clean_deployment_ids(self) -> list[str]:
        ids = [part.strip() for part in self.cleaned_data["deployment_ids"].replace("\n", ",").split(",") if part.strip()]
        if not ids:
            raise forms.ValidationError(_("Name at least one deployment id."))
        return ids


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin[Platform]):
    form = PlatformForm
    list_display = ("name", "institution", "issuer", "client_id", "key_id")
    fields = (
        "name",
        "institution",
        "issuer",
        "client_id",
        "deployment_ids",
        "auth_login_url",
        "auth_token_url",
        "auth_audience",
        "keyset_url",
        "key_id",
    )
    readonly_fields = ("key_id",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Platform, form: Any, change: bool) -> None:
        platform_save(actor=request.user, platform=obj)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Platform) -> None:
        platform_delete(actor=request.user, platform=obj)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for platform in queryset:
            self.delete_model(request, platform)


@admin.register(ContextBinding)
class ContextBindingAdmin(ReadOnlyAdmin):
    list_display = ("title", "context_id", "platform", "course", "roster_synced_at")


@admin.register(GradeSend)
class GradeSendAdmin(ReadOnlyAdmin):
    list_display = ("run", "link", "score", "status", "attempts", "last_error", "updated_at")
    list_filter = ("status",)
