from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.admin_base import AuditedModelAdmin, ReadOnlyAdmin
from accounts.auth import actor_of
from accounts.errors import ApplicationError
from accounts.models import AuditLogEntry, RoleApplication, RoleGrant, User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "display_name", "email", "is_active", "is_staff", "date_joined"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("Portal"), {"fields": ("display_name",)}))


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "granted_by", "granted_at", "revoked_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]
    list_select_related = ["user", "granted_by"]


def _decide(request: HttpRequest, queryset: QuerySet[RoleApplication], approve: bool) -> None:
    for application in queryset:
        try:
            services.role_application_decide(actor=actor_of(request), application_id=application.pk, approve=approve)
        except ApplicationError as error:
            messages.error(request, f"{application}: {error.message}")


@admin.register(RoleApplication)
class RoleApplicationAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "role", "status", "created_at", "decided_by"]
    list_filter = ["status", "role"]
    search_fields = ["applicant__username"]
    list_select_related = ["applicant", "decided_by"]
    actions = ["approve", "reject"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for actions to show; the change form itself stays read-only through readonly_fields.
        return obj is None and bool(request.user.is_staff)

    @admin.action(description=_("Approve selected applications"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RoleApplication]) -> None:
        _decide(request, queryset, approve=True)

    @admin.action(description=_("Reject selected applications"))
    def reject(self, request: HttpRequest, queryset: QuerySet[RoleApplication]) -> None:
        _decide(request, queryset, approve=False)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id"]
    date_hierarchy = "created_at"
