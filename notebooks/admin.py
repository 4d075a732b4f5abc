from __future__ import annotations

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from notebooks.models import Notebook, NotebookVersion, Run, Runner


# Catalogue rows come from the repository, runs from the engine: the admin shows them, never edits.
@admin.register(Notebook)
class NotebookAdmin(ReadOnlyAdmin):
    list_display = ["slug", "kind", "level", "accelerator", "is_active", "updated_at"]
    list_filter = ["kind", "level", "is_active"]
    search_fields = ["slug", "title_en", "title_zh"]


@admin.register(NotebookVersion)
class NotebookVersionAdmin(ReadOnlyAdmin):
    list_display = ["notebook", "sha256", "created_at"]
    list_select_related = ["notebook"]
    exclude = ["source"]


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ["id", "notebook", "owner", "status", "queue", "attempt", "runner_host", "created_at", "finished_at"]
    list_filter = ["status", "queue"]
    list_select_related = ["notebook", "owner"]
    search_fields = ["owner__username", "notebook__slug"]
    date_hierarchy = "created_at"


@admin.register(Runner)
class RunnerAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "queues", "cpus", "gpu_name", "last_heartbeat", "stopped_at"]
