"""Writes of the courses domain. Each checks permission and state, changes rows and logs the change.

Permission checks that refuse are themselves logged (`*.denied`) before the error is raised, outside the
transaction that would roll the entry back.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from accounts.audit import audit_log_record, refusal_logged, snapshot
from accounts.errors import ApplicationError, TooLarge, WrongState
from accounts.models import Role, RoleGrant, User
from accounts.notifications import holders_of, notify
from accounts.selectors import user_has_role
from accounts.services import role_grant, user_create
from courses import bundles
from courses.enrolment_csv import CsvReport, read_enrolment_csv
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
from courses.selectors import (
    CourseAccess,
    assignment_run_limits,
    course_access,
    course_notebooks,
    is_portal_admin,
    user_home_institution,
)
from notebooks.models import Notebook
from notebooks.parameters import validate_parameters
from notebooks.services import run_enqueue, run_queue_for, student_run_maxima

_COURSE_FIELDS = ("institution", "code", "title", "term", "cohort")
_ASSIGNMENT_FIELDS = (
    "course",
    "title",
    "notebook",
    "version",
    "default_parameters",
    "due_at",
    "queue",
    "run_quota",
    "runs_shared",
    "grade_metric",
    "run_timeout_seconds",
    "run_memory_mb",
)
_LIMIT_FIELDS = ("run_timeout_seconds", "run_memory_mb")
_PROJECT_FIELDS = ("title", "team", "institution", "competition", "award", "year", "links", "status")
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a lecture hall


def _required(**values: str) -> dict[str, str]:
    cleaned = {name: (value or "").strip() for name, value in values.items()}
    missing = {name: ["This field is required."] for name, value in cleaned.items() if not value}
    if missing:
        raise ApplicationError("Some required fields are empty.", fields=missing)
    return cleaned


def _manage_access(actor: User, course: Course, action: str) -> CourseAccess:
    access = course_access(actor, course)
    if access is None or not access.manages:
        raise refusal_logged(actor=actor, action=action, obj=course, reason="Only an instructor of this course can do this.")
    return access


# --- institutions ----------------------------------------------------------------------------------


def institution_member_add(
    *, actor: User | None, institution: Institution, user: User, is_admin: bool = False
) -> InstitutionMember:
    """Adds a person to an institution (administrators; `actor=None` is the system, e.g. demo data)."""
    if actor is not None and not is_portal_admin(actor):
        raise refusal_logged(
            actor=actor, action="institution.member_add", obj=institution, reason="Only an administrator can do this."
        )
    with transaction.atomic():
        member, created = InstitutionMember.objects.get_or_create(
            institution=institution, user=user, defaults={"is_admin": is_admin}
        )
        if not created and member.is_admin != is_admin:
            member.is_admin = is_admin
            member.save(update_fields=["is_admin"])
        elif not created:
            return member
        audit_log_record(
            actor=actor, action="institution.member_add", obj=member, after=snapshot(member, ("institution", "user", "is_admin"))
        )
    return member


# --- courses ---------------------------------------------------------------------------------------


def _new_invite_code() -> str:
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))
        if not Course.objects.filter(invite_code=code).exists():
            return code


def course_create(
    *, actor: User, code: str, title: str, term: str, cohort: str = "", institution: Institution | None = None
) -> Course:
    """An instructor creates a course at their institution and becomes its first instructor."""
    if not user_has_role(actor, Role.INSTRUCTOR, Role.ADMINISTRATOR):
        raise refusal_logged(
            actor=actor, action="course.create", obj=actor, reason="Creating a course needs the instructor role."
        )
    values = _required(code=code, title=title, term=term)
    institution = institution or user_home_institution(actor)
    if institution is None:
        raise ApplicationError(
            "You are not a member of any institution yet: ask your institution's admin to add you.",
            code="no_institution",
            fields={"institution": ["You belong to no institution."]},
        )
    if not is_portal_admin(actor) and not InstitutionMember.objects.filter(institution=institution, user=actor).exists():
        raise refusal_logged(
            actor=actor, action="course.create", obj=institution, reason="You can only create courses of your own institution."
        )
    try:
        with transaction.atomic():
            course = Course.objects.create(
                institution=institution, cohort=(cohort or "").strip(), invite_code=_new_invite_code(), created_by=actor, **values
            )
            Enrolment.objects.create(course=course, user=actor, role=Enrolment.Role.INSTRUCTOR, source=Enrolment.Source.CREATED)
            audit_log_record(actor=actor, action="course.create", obj=course, after=snapshot(course, _COURSE_FIELDS))
    except IntegrityError:
        raise WrongState(
            "Your institution already has this course in this term and cohort.",
            code="course_exists",
            fields={"code": ["Already used."]},
        ) from None
    return course


def course_instructor_add(*, actor: User, course: Course, user: User) -> Enrolment:
    _manage_access(actor, course, "course.instructor_add")
    if not user_has_role(user, Role.INSTRUCTOR):
        raise ApplicationError(
            "Only someone with the instructor role can teach a course.", fields={"user": ["Not an instructor."]}
        )
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                course=course, user=user, role=Enrolment.Role.INSTRUCTOR, source=Enrolment.Source.CREATED
            )
            audit_log_record(
                actor=actor, action="course.instructor_add", obj=enrolment, after={"course": course.pk, "user": user.pk}
            )
    except IntegrityError:
        raise WrongState("This person is already in the course.", code="already_enrolled") from None
    return enrolment


def _ensure_student_role(user: User) -> None:
    # Granted by the system on the instructor's enrolment decision (logged there); instructors cannot grant roles.
    if not RoleGrant.objects.filter(user=user, role=Role.STUDENT, revoked_at__isnull=True).exists():
        role_grant(actor=None, user=user, role=Role.STUDENT)


def course_join(*, actor: User, invite_code: str) -> Enrolment:
    """A signed-in person joins a course as a student with its invite code."""
    code = (invite_code or "").strip().upper()
    course = Course.objects.filter(invite_code=code).first() if code else None
    if course is None:
        raise ApplicationError(
            "No course has this invite code.", code="bad_invite_code", fields={"invite_code": ["Unknown code."]}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    course=course, user=actor, role=Enrolment.Role.STUDENT, source=Enrolment.Source.INVITE
                )
        except IntegrityError:
            raise WrongState("You are already in this course.", code="already_enrolled") from None
        _ensure_student_role(actor)
        audit_log_record(actor=actor, action="course.join", obj=enrolment, after={"course": course.pk, "invite_code": code})
    return enrolment


def course_enrol_from_lms(*, course: Course, user: User, role: str) -> Enrolment:
    """Enrols someone the course's LMS vouched for (an LTI launch or its roster), as its instructor or a
    student; done by the system, logged. An existing enrolment stays as it is (the LMS never demotes)."""
    if role not in Enrolment.Role.values:
        raise ApplicationError("Unknown role in the course.", fields={"role": ["instructor or student"]})
    with transaction.atomic():
        enrolment, created = Enrolment.objects.get_or_create(
            course=course, user=user, defaults={"role": role, "source": Enrolment.Source.LMS}
        )
        if not created:
            return enrolment
        if role == Enrolment.Role.STUDENT:
            _ensure_student_role(user)
        elif not user_has_role(user, Role.INSTRUCTOR):
            role_grant(actor=None, user=user, role=Role.INSTRUCTOR)
        audit_log_record(
            actor=None, action="course.enrol_from_lms", obj=enrolment, after={"course": course.pk, "user": user.pk, "role": role}
        )
    return enrolment


class CsvRejected(ApplicationError):
    """A CSV with at least one bad row: nothing was imported. `report` says which rows and why."""

    def __init__(self, report: CsvReport) -> None:
        super().__init__(
            f"{len(report.rejected)} problem(s) in the file; nothing was imported.",
            code="csv_rejected",
            fields=report.as_fields(),
        )
        self.report = report


def _username_for(email: str) -> str:
    base = re.sub(r"[^a-zA-Z0-9._-]", "", email.split("@", 1)[0])[:100] or "student"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def enrolment_csv_import(*, actor: User, course: Course, raw: bytes) -> list[Enrolment]:
    """Enrols every student of the file, or none: a file with one bad row imports nothing (CsvRejected).

    Students without an account get one with an unusable password (they set it through the password
    reset e-mail) and the student role.
    """
    _manage_access(actor, course, "course.enrol_csv")
    if len(raw) > settings.COURSES_CSV_MAX_BYTES:
        raise TooLarge(f"An enrolment file may be at most {settings.COURSES_CSV_MAX_BYTES // 1024} KB.")
    enrolled = frozenset(e.lower() for e in course.enrolments.values_list("user__email", flat=True) if e)
    report = read_enrolment_csv(raw, email_domain=course.institution.email_domain, enrolled_emails=enrolled)
    if not report.ok:
        audit_log_record(actor=actor, action="course.enrol_csv.rejected", obj=course, after={"problems": report.rejected[:50]})
        raise CsvRejected(report)
    created: list[Enrolment] = []
    with transaction.atomic():
        existing = {user.email.lower(): user for user in User.objects.filter(email__in=[row.email for row in report.rows])}
        for row in report.rows:
            user = existing.get(row.email.lower())
            if user is None:
                user = user_create(
                    actor=actor, username=_username_for(row.email), email=row.email, password=None, display_name=row.name
                )
            _ensure_student_role(user)
            try:
                with transaction.atomic():
                    created.append(
                        Enrolment.objects.create(
                            course=course, user=user, role=Enrolment.Role.STUDENT, source=Enrolment.Source.CSV
                        )
                    )
            except IntegrityError:
                raise WrongState(
                    f"Line {row.line}: {row.email} was enrolled meanwhile; nothing was imported.", code="already_enrolled"
                ) from None
        audit_log_record(
            actor=actor,
            action="course.enrol_csv",
            obj=course,
            after={"encoding": report.encoding, "students": [e.user_id for e in created]},
        )
    return created


# --- run limits ------------------------------------------------------------------------------------


def limit_out_of_range(name: str, maximum: int) -> str:
    """What a run-limit field outside its range says (the service's refusal and the forms' own check)."""
    messages = {
        "run_timeout_seconds": gettext("Between 10 and %(max)d seconds: %(max)d is the portal's maximum for a student's run."),
        "run_memory_mb": gettext("Between 256 and %(max)d MB: %(max)d is the portal's maximum for a student's run."),
    }
    return messages[name] % {"max": maximum}


def _checked_limits(timeout_seconds: Any, memory_mb: Any) -> tuple[int | None, int | None]:
    """An instructor's run limits, each empty (no limit of their own) or within the portal's student
    maxima; ApplicationError naming the field and the maximum otherwise."""
    max_seconds, max_megabytes = student_run_maxima()
    errors: dict[str, list[str]] = {}
    values: list[int | None] = []
    for name, value, low, high in (
        ("run_timeout_seconds", timeout_seconds, 10, max_seconds),
        ("run_memory_mb", memory_mb, 256, max_megabytes),
    ):
        if value in (None, ""):
            values.append(None)
            continue
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None and isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not low <= number <= high:
            errors[name] = [limit_out_of_range(name, high)]
        values.append(number)
    if errors:
        raise ApplicationError(
            gettext("A run limit is outside what the portal allows."), code="limit_out_of_range", fields=errors
        )
    return values[0], values[1]


def _checked_runs_at_once(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if number is None and isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= 1000:
        message = gettext("From 1 to 1000 runs, or empty for the portal's setting.")
        raise ApplicationError(message, fields={"runs_at_once": [message]})
    return number


def course_limits_set(
    *, actor: User, course: Course, run_timeout_seconds: Any, run_memory_mb: Any, runs_at_once: Any = None
) -> Course:
    """An instructor sets the course's run limits (empty: the portal's student maxima) and how many of its
    runs may be on the runners at once (empty: the portal's setting); logged."""
    _manage_access(actor, course, "course.limits_set")
    timeout, memory = _checked_limits(run_timeout_seconds, run_memory_mb)
    at_once = _checked_runs_at_once(runs_at_once)
    fields = (*_LIMIT_FIELDS, "runs_at_once")
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        before = snapshot(locked, fields)
        locked.run_timeout_seconds, locked.run_memory_mb, locked.runs_at_once = timeout, memory, at_once
        locked.save(update_fields=[*fields, "updated_at"])
        audit_log_record(actor=actor, action="course.limits_set", obj=locked, before=before, after=snapshot(locked, fields))
    return locked


def _checked_grade_metric(value: Any) -> str:
    metric = str(value or "").strip()
    if len(metric) > 100 or any(ord(char) < 32 for char in metric):
        raise ApplicationError("Name a metric the notebook reports.", fields={"grade_metric": ["At most 100 characters."]})
    return metric


def assignment_settings_set(
    *,
    actor: User,
    assignment: Assignment,
    grade_metric: Any,
    run_timeout_seconds: Any,
    run_memory_mb: Any,
    reuse_results: Any = False,
) -> Assignment:
    """An instructor sets the assignment's grade-book metric, run limits (empty: the course's) and whether
    identical results are reused; logged."""
    _manage_access(actor, assignment.course, "assignment.settings_set")
    timeout, memory = _checked_limits(run_timeout_seconds, run_memory_mb)
    metric = _checked_grade_metric(grade_metric)
    if not isinstance(reuse_results, bool):
        raise ApplicationError("Say true or false.", fields={"reuse_results": ["Must be true or false."]})
    fields = ("grade_metric", *_LIMIT_FIELDS, "reuse_results")
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        before = snapshot(locked, fields)
        locked.grade_metric, locked.run_timeout_seconds, locked.run_memory_mb = metric, timeout, memory
        locked.reuse_results = reuse_results
        locked.save(update_fields=[*fields, "updated_at"])
        audit_log_record(actor=actor, action="assignment.settings_set", obj=locked, before=before, after=snapshot(locked, fields))
    return locked


# --- assignments -----------------------------------------------------------------------------------


def assignment_create(
    *,
    actor: User,
    course: Course,
    notebook: Notebook,
    title: str = "",
    default_parameters: Any = None,
    due_at: datetime | None = None,
    queue: str = "",
    run_quota: int = 5,
    runs_shared: bool = False,
    grade_metric: Any = "",
    run_timeout_seconds: Any = None,
    run_memory_mb: Any = None,
) -> Assignment:
    """Pins the notebook's current version; the defaults are validated like the parameters of any run,
    the run limits against the portal's student maxima."""
    _manage_access(actor, course, "assignment.create")
    if not notebook.is_active or notebook.current_version is None:
        raise WrongState(
            "This notebook is no longer in the catalogue.", code="notebook_retired", fields={"notebook": ["Retired."]}
        )
    version = notebook.current_version
    queue = run_queue_for(notebook, queue)
    if not 1 <= int(run_quota) <= 100:
        raise ApplicationError("The run quota must be between 1 and 100.", fields={"run_quota": ["Between 1 and 100."]})
    metric = _checked_grade_metric(grade_metric)
    # The defaults and the limits are checked together, so the form shows every problem at once.
    problems: list[ApplicationError] = []
    try:
        defaults = validate_parameters(version.parameters, default_parameters or {})
    except ApplicationError as error:
        problems.append(error)
    try:
        timeout, memory = _checked_limits(run_timeout_seconds, run_memory_mb)
    except ApplicationError as error:
        problems.append(error)
    if problems:
        fields = {name: messages for error in problems for name, messages in error.fields.items()}
        raise ApplicationError(problems[0].message, code=problems[0].code, fields=fields)
    with transaction.atomic():
        assignment = Assignment.objects.create(
            course=course,
            title=(title or "").strip() or notebook.title_en,
            notebook=notebook,
            version=version,
            default_parameters=defaults,
            due_at=due_at,
            queue=queue,
            run_quota=int(run_quota),
            runs_shared=bool(runs_shared),
            grade_metric=metric,
            run_timeout_seconds=timeout,
            run_memory_mb=memory,
            created_by=actor,
        )
        audit_log_record(actor=actor, action="assignment.create", obj=assignment, after=snapshot(assignment, _ASSIGNMENT_FIELDS))
    return assignment


# One whole sentence per scope and unit, so each language can word it its own way.
_LIMIT_EXCEEDED = {
    ("assignment", "timeout_seconds"): gettext_lazy("At most %(limit)d seconds: this assignment's limit for a student's run."),
    ("assignment", "memory_limit_mb"): gettext_lazy("At most %(limit)d MB: this assignment's limit for a student's run."),
    ("course", "timeout_seconds"): gettext_lazy("At most %(limit)d seconds: this course's limit for a student's run."),
    ("course", "memory_limit_mb"): gettext_lazy("At most %(limit)d MB: this course's limit for a student's run."),
    ("portal", "timeout_seconds"): gettext_lazy("At most %(limit)d seconds: the portal's limit for a student's run."),
    ("portal", "memory_limit_mb"): gettext_lazy("At most %(limit)d MB: the portal's limit for a student's run."),
}


def _asked_limit(name: str, value: Any, limit: int, set_by: str) -> int | None:
    """A student's requested limit, if any, refused with the field's name when above what applies."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApplicationError(
            gettext("A run limit must be a positive whole number."), fields={name: [gettext("A positive whole number.")]}
        )
    if value > limit:
        sentence = str(_LIMIT_EXCEEDED[(set_by, name)]) % {"limit": limit}
        raise ApplicationError(sentence, code="limit_exceeded", fields={name: [sentence]})
    return int(value)


def _runs_at_once(course: Course) -> int:
    return course.runs_at_once or settings.NOTEBOOK_COURSE_MAX_RUNS_AT_ONCE


def assignment_run_start(
    *,
    actor: User,
    assignment: Assignment,
    parameters: Any,
    timeout_seconds: int | None = None,
    memory_limit_mb: int | None = None,
    fresh: bool = False,
    input_source: str = "",
) -> Submission:
    """A student runs the assignment: their parameters over the instructor's defaults, on the pinned
    version and the assignment's queue, within the per-student quota; a run after the due date is late.
    Where the assignment reuses identical results, an identical earlier run answers at once unless the
    student asks for a `fresh` run. The course's runs are dispatched fairly against other courses, at most
    `Course.runs_at_once` (or the portal's setting) at a time. `input_source` is the student's own edited
    notebook (submitted from their JupyterLab, labs/), executed instead of the pinned version.

    The run's time and memory limits are the tightest of the assignment's, the course's and the portal's
    (what the student asks for, if they ask, and no more): a request above them is refused, naming it."""
    access = course_access(actor, assignment.course)
    if access is None or not access.is_student:
        raise refusal_logged(
            actor=actor, action="assignment.run", obj=assignment, reason="Only a student of this course can run its assignments."
        )
    if not isinstance(parameters, dict):
        raise ApplicationError("Parameters must be an object of name → value.", fields={"parameters": ["Expected an object."]})
    limits = assignment_run_limits(assignment)
    timeout = _asked_limit("timeout_seconds", timeout_seconds, limits.timeout_seconds, limits.timeout_set_by)
    memory = _asked_limit("memory_limit_mb", memory_limit_mb, limits.memory_mb, limits.memory_set_by)
    with transaction.atomic():
        # One student's submissions are serialised on their enrolment row so the quota cannot be raced.
        Enrolment.objects.select_for_update().filter(course=assignment.course, user=actor).first()
        used = Submission.objects.filter(assignment=assignment, student=actor, started_by=actor).count()
        if used >= assignment.run_quota:
            raise WrongState(f"You have used all {assignment.run_quota} runs of this assignment.", code="run_quota_used")
        run = run_enqueue(
            actor=actor,
            notebook=assignment.notebook,
            parameters={**assignment.default_parameters, **parameters},
            queue=assignment.queue,
            version=assignment.version,
            share=f"course:{assignment.course_id}",
            share_cap=_runs_at_once(assignment.course),
            reuse=assignment.reuse_results and not fresh,
            input_source=input_source,
            timeout_seconds=timeout,
            memory_limit_mb=memory,
            ceiling=(limits.timeout_seconds, limits.memory_mb),
        )
        late = assignment.due_at is not None and timezone.now() > assignment.due_at
        submission = Submission.objects.create(assignment=assignment, student=actor, run=run, late=late, started_by=actor)
        audit_log_record(
            actor=actor,
            action="assignment.run",
            obj=submission,
            after={
                "run": run.pk,
                "late": late,
                "timeout_seconds": run.timeout_seconds,
                "memory_limit_mb": run.memory_limit_mb,
                **({"from_lab": True} if input_source else {}),
            },
        )
    return submission


def assignment_rerun(*, actor: User, submission: Submission) -> Submission:
    """An instructor re-runs a student's submission with the same parameters, on the student's behalf.

    The run belongs to the student (it shows among theirs); the audit log names the instructor. It does
    not use up the student's quota and keeps the original's late mark.
    """
    assignment = submission.assignment
    _manage_access(actor, assignment.course, "assignment.rerun")
    limits = assignment_run_limits(assignment)
    with transaction.atomic():
        run = run_enqueue(
            actor=actor,
            owner=submission.student,
            notebook=assignment.notebook,
            parameters=submission.run.parameters,
            queue=assignment.queue,
            version=assignment.version,
            input_source=submission.run.input_source,  # a lab submission re-runs the student's own notebook
            share=f"course:{assignment.course_id}",
            share_cap=_runs_at_once(assignment.course),
            # The original's limits, under the limits that apply now.
            timeout_seconds=min(submission.run.timeout_seconds, limits.timeout_seconds),
            memory_limit_mb=min(submission.run.memory_limit_mb, limits.memory_mb),
            ceiling=(limits.timeout_seconds, limits.memory_mb),
        )
        again = Submission.objects.create(
            assignment=assignment, student=submission.student, run=run, late=submission.late, started_by=actor
        )
        audit_log_record(
            actor=actor,
            action="assignment.rerun",
            obj=again,
            after={"run": run.pk, "of": submission.pk, "student": submission.student_id},
        )
    return again


# --- bundles ---------------------------------------------------------------------------------------


@dataclass
class Bundle:
    filename: str
    content: bytes


def bundle_download(*, actor: User, course: Course | None = None, notebook: Notebook | None = None) -> Bundle:
    """The zip of a course's notebooks (or of one notebook) with licence, attribution and README; records
    one download row per notebook version, with the downloader's institution."""
    if (course is None) == (notebook is None):
        raise ApplicationError("Download the bundle of a course or of one notebook.")
    if course is not None:
        if course_access(actor, course) is None:
            raise refusal_logged(actor=actor, action="bundle.download", obj=course, reason="Not a member of this course.")
        items = course_notebooks(course)
        if not items:
            raise WrongState("This course has no assignments yet, so its bundle would be empty.", code="empty_bundle")
        institution: Institution | None = course.institution
        name = f"{re.sub(r'[^A-Za-z0-9_-]+', '-', course.code).strip('-') or 'course'}-materials"
    else:
        assert notebook is not None
        if not notebook.is_active or notebook.current_version is None:
            raise WrongState("This notebook is no longer in the catalogue.", code="notebook_retired")
        items = [(notebook, notebook.current_version)]
        institution = user_home_institution(actor)
        name = f"{notebook.slug}-materials"
    content = bundles.build_zip(name, items, course=course)
    key = uuid.uuid4()
    with transaction.atomic():
        BundleDownload.objects.bulk_create(
            [
                BundleDownload(bundle=key, user=actor, institution=institution, course=course, notebook=nb, version=v)
                for nb, v in items
            ]
        )
        audit_log_record(
            actor=actor,
            action="bundle.download",
            obj=course or notebook,
            after={
                "bundle": str(key),
                "institution": institution.pk if institution else None,
                "versions": [v.sha256 for _, v in items],
            },
        )
    return Bundle(filename=f"{name}.zip", content=content)


# --- derived projects ------------------------------------------------------------------------------


def derived_project_submit(
    *,
    actor: User,
    title: str,
    team: str,
    institution: Institution,
    year: int,
    competition: str = "",
    award: str = "",
    notebooks: list[Notebook] | None = None,
    links: list[str] | None = None,
) -> DerivedProject:
    """An instructor of the institution submits a project built on the materials; a curator approves it."""
    if not user_has_role(actor, Role.INSTRUCTOR, Role.ADMINISTRATOR):
        raise refusal_logged(
            actor=actor,
            action="derived_project.submit",
            obj=institution,
            reason="Submitting a project needs the instructor role.",
        )
    if not is_portal_admin(actor) and not InstitutionMember.objects.filter(institution=institution, user=actor).exists():
        raise refusal_logged(
            actor=actor,
            action="derived_project.submit",
            obj=institution,
            reason="You can only submit projects of your own institution.",
        )
    values = _required(title=title, team=team)
    if not 2000 <= int(year) <= timezone.now().year + 1:
        raise ApplicationError("The year is out of range.", fields={"year": ["Between 2000 and next year."]})
    clean_links = [link.strip() for link in (links or []) if link and link.strip()]
    bad = [link for link in clean_links if not re.match(r"^https?://[^\s<>\"]+$", link)]
    if bad or len(clean_links) > 10:
        raise ApplicationError(
            "Links must be http(s) addresses, at most 10.",
            fields={"links": [f"Not a web address: {link}" for link in bad] or ["At most 10."]},
        )
    with transaction.atomic():
        project = DerivedProject.objects.create(
            institution=institution,
            year=int(year),
            competition=(competition or "").strip(),
            award=(award or "").strip(),
            links=clean_links,
            submitted_by=actor,
            **values,
        )
        project.notebooks.set(notebooks or [])
        audit_log_record(actor=actor, action="derived_project.submit", obj=project, after=snapshot(project, _PROJECT_FIELDS))
        notify(
            recipients=holders_of(Role.CURATOR),
            kind="derived_project.submit",
            message=gettext_noop("A derived project waits for approval: %(title)s"),
            params={"title": project.title},
            url=reverse("courses:projects"),
        )
    return project


def derived_project_decide(*, actor: User, project: DerivedProject, approve: bool) -> DerivedProject:
    if not user_has_role(actor, Role.CURATOR, Role.ADMINISTRATOR):
        raise refusal_logged(
            actor=actor, action="derived_project.decide", obj=project, reason="Only a curator approves derived projects."
        )
    with transaction.atomic():
        locked = DerivedProject.objects.select_for_update().get(pk=project.pk)
        if locked.status != DerivedProject.Status.PENDING:
            raise WrongState(f"This project was already decided ({locked.get_status_display().lower()}).", code="already_decided")
        before = snapshot(locked, _PROJECT_FIELDS)
        locked.status = DerivedProject.Status.APPROVED if approve else DerivedProject.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_log_record(
            actor=actor, action="derived_project.decide", obj=locked, before=before, after=snapshot(locked, _PROJECT_FIELDS)
        )
    return locked
