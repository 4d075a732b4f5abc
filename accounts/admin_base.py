from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from accounts.audit import audit_log_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through services or imports: the admin shows them and offers no edit or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits of reference data (institutions, …) land in the audit log like any other change.

    Password fields and `audit_secret_fields` (an OAuth client secret, …) are never written to the log.
    """

    audit_secret_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {
                name: form.cleaned_data.get(name)
                for name in form.changed_data
                if "password" not in name and name not in self.audit_secret_fields
            }
            audit_log_record(
                actor=request.user,  # type: ignore[arg-type]
                action=f"{obj._meta.model_name}.admin_{'change' if change else 'create'}",
                obj=obj,
                after=changed,
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            audit_log_record(actor=request.user, action=f"{obj._meta.model_name}.admin_delete", obj=obj)  # type: ignore[arg-type]
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
