from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notebooks.models import Notebook, NotebookVersion, Run, Runner


class ViewOnlyAdmin(admin.ModelAdmin):
    """Catalogue rows come from the repository, runs from the engine: the admin shows them, never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notebook)
class NotebookAdmin(ViewOnlyAdmin):
    list_display = ["slug", "kind", "level", "accelerator", "is_active", "updated_at"]
    list_filter = ["kind", "level", "is_active"]
    search_fields = ["slug", "title_en", "title_zh"]


@admin.register(NotebookVersion)
class NotebookVersionAdmin(ViewOnlyAdmin):
    list_display = ["notebook", "sha256", "created_at"]
    list_select_related = ["notebook"]
    exclude = ["source"]


@admin.register(Run)
class RunAdmin(ViewOnlyAdmin):
    list_display = ["id", "notebook", "owner", "status", "queue", "attempt", "runner_host", "created_at", "finished_at"]
    list_filter = ["status", "queue"]
    list_select_related = ["notebook", "owner"]
    search_fields = ["owner__username", "notebook__slug"]
    date_hierarchy = "created_at"


@admin.register(Runner)
class RunnerAdmin(ViewOnlyAdmin):
    list_display = ["hostname", "queues", "cpus", "gpu_name", "last_heartbeat", "stopped_at"]
