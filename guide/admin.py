from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.admin_base import ReadOnlyAdmin
from accounts.auth import actor_of
from accounts.errors import ApplicationError
from guide.models import Chapter, Claim, Section
from guide.services import CLAIM_FIELDS, claim_update


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Maintainers edit claims here; every save goes through `claim_update`, which checks and logs it."""

    list_display = ["key", "status", "section", "broken_command", "checked_on"]
    list_filter = ["status", "broken_command"]
    search_fields = ["key", "quote", "summary_en", "summary_zh"]
    list_select_related = ["section"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        original = Claim.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in ("section", *CLAIM_FIELDS) if name in form.changed_data}
        try:
            claim_update(actor=actor_of(request), claim=original, changes=changes)
        except ApplicationError as error:
            messages.error(request, error.message)


@admin.register(Chapter)
class ChapterAdmin(ReadOnlyAdmin):
    """Chapters come from guide/content (manage.py import_guide): shown, not edited here."""

    list_display = ["slug", "number", "title", "source_sha256", "updated_at"]


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ["anchor", "title", "chapter", "order"]
