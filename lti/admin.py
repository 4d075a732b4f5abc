"""The administrator registers LMS platforms here; saving goes through the audited service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_base import ReadOnlyAdmin
from lti.models import ContextBinding, GradeSend, Platform
from lti.services.platforms import platform_delete, platform_save


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin[Platform]):
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
