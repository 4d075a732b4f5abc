from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Institution(models.Model):
    """A university (or other school) whose staff and students use the course materials."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="CN", help_text=_("ISO 3166-1 alpha-2 code."))
    email_domain = models.CharField(_("e-mail domain"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["name_en"], name="institution_name_en_unique")]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name_en


class InstitutionMember(models.Model):
    """A person who belongs to an institution; its admins see every course of it."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="institution_memberships")
    is_admin = models.BooleanField(_("institution admin"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["institution", "user"], name="institution_member_unique")]
        verbose_name = _("institution member")
        verbose_name_plural = _("institution members")

    def __str__(self) -> str:
        return f"{self.user} · {self.institution}"


class Course(models.Model):
    """A course of one institution, run on catalogue notebooks; students join by invite code or CSV."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(_("course code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    term = models.CharField(_("term"), max_length=40, help_text=_("For example 2026 autumn."))
    cohort = models.CharField(_("cohort"), max_length=80, blank=True)
    invite_code = models.CharField(_("invite code"), max_length=16, unique=True)
    # Run limits for the course's students, under the portal-wide student maxima; empty: the portal's.
    run_timeout_seconds = models.PositiveIntegerField(_("run time limit (seconds)"), null=True, blank=True)
    run_memory_mb = models.PositiveIntegerField(_("run memory limit (MB)"), null=True, blank=True)
    runs_at_once = models.PositiveIntegerField(
        _("runs at once"),
        null=True,
        blank=True,
        help_text=_("How many of the course's runs may be on the runners at once; empty: the portal's setting."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "code", "term", "cohort"], name="course_code_term_unique"),
            models.CheckConstraint(
                condition=Q(run_timeout_seconds__isnull=True) | Q(run_timeout_seconds__gte=10), name="course_timeout_floor"
            ),
            models.CheckConstraint(
                condition=Q(run_memory_mb__isnull=True) | Q(run_memory_mb__gte=256), name="course_memory_floor"
            ),
        ]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return f"{self.code} {self.title} ({self.term})"


class Enrolment(models.Model):
    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", _("Instructor")
        STUDENT = "student", _("Student")

    class Source(models.TextChoices):
        CREATED = "created", _("Created the course")
        INVITE = "invite", _("Invite code")
        CSV = "csv", _("CSV upload")
        LMS = "lms", _("Launched from the LMS")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_enrolments")
    role = models.CharField(_("role in the course"), max_length=16, choices=Role.choices)
    source = models.CharField(_("how they joined"), max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="enrolment_once_per_course"),
            models.CheckConstraint(condition=Q(role__in=["instructor", "student"]), name="enrolment_role_valid"),
        ]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    def __str__(self) -> str:
        return f"{self.user} · {self.course_id} · {self.role}"


class Assignment(models.Model):
    """A catalogue notebook pinned to one version, with the instructor's default parameters."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(_("title"), max_length=200)
    notebook = models.ForeignKey("notebooks.Notebook", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("notebooks.NotebookVersion", on_delete=models.PROTECT, related_name="+")
    default_parameters = models.JSONField(_("default parameters"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    queue = models.CharField(_("queue"), max_length=8, choices=[("cpu", _("CPU")), ("gpu", _("GPU"))], default="cpu")
    run_quota = models.PositiveIntegerField(_("runs per student"), default=5)
    runs_shared = models.BooleanField(_("students see each other's runs"), default=False)
    # The metric the course-wide grade book shows for this assignment; empty: the first one the notebook reports.
    grade_metric = models.CharField(_("grade metric"), max_length=100, blank=True)
    # Tighter run limits than the course's for this assignment; empty: the course's.
    run_timeout_seconds = models.PositiveIntegerField(_("run time limit (seconds)"), null=True, blank=True)
    run_memory_mb = models.PositiveIntegerField(_("run memory limit (MB)"), null=True, blank=True)
    reuse_results = models.BooleanField(
        _("reuse identical results"),
        default=False,
        help_text=_("A deterministic notebook's identical earlier result answers at once; students can still run it fresh."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course_id", "due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(run_quota__gte=1) & Q(run_quota__lte=100), name="assignment_quota_range"),
            models.CheckConstraint(condition=Q(queue__in=["cpu", "gpu"]), name="assignment_queue_valid"),
            models.CheckConstraint(
                condition=Q(run_timeout_seconds__isnull=True) | Q(run_timeout_seconds__gte=10), name="assignment_timeout_floor"
            ),
            models.CheckConstraint(
                condition=Q(run_memory_mb__isnull=True) | Q(run_memory_mb__gte=256), name="assignment_memory_floor"
            ),
        ]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return self.title


class Submission(models.Model):
    """One run of an assignment by (or, re-run, on behalf of) a student."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_submissions")
    run = models.OneToOneField("notebooks.Run", on_delete=models.PROTECT, related_name="course_submission")
    late = models.BooleanField(_("late"), default=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assignment", "student"], name="submission_assignment_student")]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.student} · run {self.run_id}"


class BundleDownload(models.Model):
    """One notebook version in one downloaded bundle: who, from which institution, which version."""

    bundle = models.UUIDField(_("download"), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.SET_NULL, null=True, blank=True, related_name="downloads")
    course = models.ForeignKey(Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="downloads")
    notebook = models.ForeignKey("notebooks.Notebook", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("notebooks.NotebookVersion", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["notebook", "institution"], name="download_notebook_institution")]
        verbose_name = _("bundle download")
        verbose_name_plural = _("bundle downloads")

    def __str__(self) -> str:
        return f"{self.bundle} · {self.notebook_id}"


class DerivedProject(models.Model):
    """Work built on the course materials (a competition entry, a thesis), approved by a curator."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    title = models.CharField(_("title"), max_length=200)
    team = models.CharField(_("team"), max_length=400)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="derived_projects")
    competition = models.CharField(_("competition"), max_length=200, blank=True)
    award = models.CharField(_("award"), max_length=200, blank=True)
    year = models.PositiveIntegerField(_("year"))
    notebooks = models.ManyToManyField("notebooks.Notebook", related_name="+", blank=True, verbose_name=_("notebooks used"))
    links = models.JSONField(_("links"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="derived_project_year_range"),
        ]
        verbose_name = _("derived project")
        verbose_name_plural = _("derived projects")

    def __str__(self) -> str:
        return self.title
