from django.contrib import admin

from accounts.admin_base import AuditedModelAdmin
from courses.models import Institution


@admin.register(Institution)
class InstitutionAdmin(AuditedModelAdmin):
    list_display = ["name_en", "name_zh", "country", "email_domain"]
    search_fields = ["name_en", "name_zh", "email_domain"]
