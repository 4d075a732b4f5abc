from django.contrib import admin

from accounts.admin_base import AuditedModelAdmin, ReadOnlyAdmin
from courses.models import (
    Assignment,
    BundleDownload,
    Course,
    DerivedProject,
    Enrolment,
    Institution,
    InstitutionMember,
    Submission,
)


@admin.register(Institution)
class InstitutionAdmin(AuditedModelAdmin):
    list_display = ["name_en", "name_zh", "country", "email_domain"]
    search_fields = ["name_en", "name_zh", "email_domain"]


@admin.register(InstitutionMember)
class InstitutionMemberAdmin(AuditedModelAdmin):
    list_display = ["user", "institution", "is_admin"]
    list_select_related = ["user", "institution"]
    raw_id_fields = ["user", "institution"]


@admin.register(Course)
class CourseAdmin(AuditedModelAdmin):
    list_display = ["code", "title", "term", "cohort", "institution"]
    list_select_related = ["institution"]
    search_fields = ["code", "title"]
    raw_id_fields = ["institution", "created_by"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["course", "user", "role", "source", "created_at"]
    list_select_related = ["course", "user"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "course", "notebook", "due_at", "queue", "run_quota"]
    list_select_related = ["course", "notebook"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "student", "run", "late", "created_at"]
    list_select_related = ["assignment", "student", "run"]


@admin.register(BundleDownload)
class BundleDownloadAdmin(ReadOnlyAdmin):
    list_display = ["bundle", "user", "institution", "notebook", "created_at"]
    list_select_related = ["user", "institution", "notebook"]


@admin.register(DerivedProject)
class DerivedProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "institution", "competition", "award", "year", "status"]
    list_select_related = ["institution"]
