"""Reads of the courses domain, with who may see what.

Who sees a course: its instructors and enrolled students, the admins of its institution, and portal
administrators. Everyone else gets NotFound (a foreign course does not exist for them). A student sees
their own runs of an assignment, and their classmates' only where the instructor shares them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.encoding import force_str

from accounts.errors import NotFound
from accounts.models import Role, User
from accounts.selectors import user_has_role
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
from notebooks.fair_queue import Wait, waits
from notebooks.models import Notebook, Run
from notebooks.selectors import RUN_LIST_FIELDS
from notebooks.services import student_run_maxima

# --- who is who ------------------------------------------------------------------------------------


def is_portal_admin(user: Any) -> bool:
    return user_has_role(user, Role.ADMINISTRATOR)


def user_institutions(user: Any) -> QuerySet[Institution]:
    if user is None or not user.is_authenticated:
        return Institution.objects.none()
    return Institution.objects.filter(members__user_id=user.pk).distinct()


def user_home_institution(user: Any) -> Institution | None:
    """The institution a download or a new course is counted for: the user's first membership."""
    if user is None or not user.is_authenticated:
        return None
    member = InstitutionMember.objects.filter(user_id=user.pk).select_related("institution").order_by("id").first()
    return member.institution if member else None


def _visible_courses_condition(user: Any) -> Q:
    admin_of = InstitutionMember.objects.filter(user_id=user.pk, is_admin=True).values("institution_id")
    enrolled = Enrolment.objects.filter(user_id=user.pk).values("course_id")
    return Q(pk__in=enrolled) | Q(institution_id__in=admin_of)


@dataclass
class CourseAccess:
    """What one user may do in one course."""

    role: str  # "instructor", "student", "institution_admin", "administrator"

    @property
    def manages(self) -> bool:
        """Changes the course: enrols, assigns, re-runs."""
        return self.role in {"instructor", "administrator"}

    @property
    def oversees(self) -> bool:
        """Sees every student's runs and the grade book."""
        return self.role in {"instructor", "administrator", "institution_admin"}

    @property
    def is_student(self) -> bool:
        return self.role == "student"


def course_access(user: Any, course: Course) -> CourseAccess | None:
    if user is None or not user.is_authenticated:
        return None
    enrolment = Enrolment.objects.filter(course=course, user_id=user.pk).values_list("role", flat=True).first()
    if enrolment is not None:
        return CourseAccess(role=str(enrolment))
    if is_portal_admin(user):
        return CourseAccess(role="administrator")
    if InstitutionMember.objects.filter(institution_id=course.institution_id, user_id=user.pk, is_admin=True).exists():
        return CourseAccess(role="institution_admin")
    return None


# --- courses ---------------------------------------------------------------------------------------


def course_list_for_user(user: Any) -> QuerySet[Course]:
    """The courses `user` may see (every course for a portal administrator), with their student and assignment
    counts."""
    # Counted rows lose Meta.ordering; lists page, so they state theirs.
    courses = (
        Course.objects.select_related("institution")
        .order_by("-created_at", "-id")
        .annotate(
            students=Count("enrolments", filter=Q(enrolments__role=Enrolment.Role.STUDENT), distinct=True),
            assignment_count=Count("assignments", distinct=True),
        )
    )
    if is_portal_admin(user):
        return courses
    return courses.filter(_visible_courses_condition(user))


def course_get_for_user(user: Any, pk: int) -> tuple[Course, CourseAccess]:
    """The course and what `user` may do in it, if they have any access; otherwise NotFound (never a 403 that
    confirms the course exists)."""
    course = Course.objects.select_related("institution").filter(pk=pk).first()
    access = course_access(user, course) if course is not None else None
    if course is None or access is None:
        raise NotFound("No such course.")
    return course, access


def course_roster(course: Course) -> QuerySet[Enrolment]:
    """Everyone enrolled, with the columns the course page shows (a class of 300 is 300 rows)."""
    shown = ("course_id", "user_id", "role", "source", "user__username", "user__display_name", "user__email")
    return course.enrolments.select_related("user").only(*shown).order_by("role", "user__display_name", "user__username")


def assignment_list(course: Course) -> QuerySet[Assignment]:
    return course.assignments.select_related("notebook", "version").annotate(submission_count=Count("submissions"))


def assignment_get_for_user(user: Any, pk: int) -> tuple[Assignment, CourseAccess]:
    """The assignment and `user`'s access to its course, if they have any; otherwise NotFound. What they may do
    with it (run, oversee, manage) is for the caller to check on the access."""
    assignment = Assignment.objects.select_related("course__institution", "notebook", "version").filter(pk=pk).first()
    access = course_access(user, assignment.course) if assignment is not None else None
    if assignment is None or access is None:
        raise NotFound("No such assignment.")
    return assignment, access


# --- run limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunLimits:
    """The most a student's run may ask for, and who set each limit ("assignment", "course" or "portal")."""

    timeout_seconds: int
    memory_mb: int
    timeout_set_by: str
    memory_set_by: str


def _tightest(*limits: tuple[int | None, str]) -> tuple[int, str]:
    # The first of equal values wins, so a limit is credited to the narrowest scope that sets it.
    present = [(value, scope) for value, scope in limits if value is not None]
    value, scope = min(present, key=lambda item: item[0])
    return value, scope


def course_run_limits(course: Course) -> RunLimits:
    """The course's limits under the portal's student maxima (what an assignment without its own gets)."""
    seconds, megabytes = student_run_maxima()
    timeout = _tightest((course.run_timeout_seconds, "course"), (seconds, "portal"))
    memory = _tightest((course.run_memory_mb, "course"), (megabytes, "portal"))
    return RunLimits(timeout_seconds=timeout[0], memory_mb=memory[0], timeout_set_by=timeout[1], memory_set_by=memory[1])


def assignment_run_limits(assignment: Assignment) -> RunLimits:
    """The tightest of the assignment's, the course's and the portal's limits: what its student runs get."""
    course = course_run_limits(assignment.course)
    timeout = _tightest((assignment.run_timeout_seconds, "assignment"), (course.timeout_seconds, course.timeout_set_by))
    memory = _tightest((assignment.run_memory_mb, "assignment"), (course.memory_mb, course.memory_set_by))
    return RunLimits(timeout_seconds=timeout[0], memory_mb=memory[0], timeout_set_by=timeout[1], memory_set_by=memory[1])


# --- submissions and runs --------------------------------------------------------------------------


# What the run API shows of a submission (its run: notebooks.selectors.RUN_LIST_FIELDS).
SUBMISSION_API_FIELDS = (
    "assignment_id", "student_id", "started_by_id", "run_id", "late", "created_at",
    "student__username", "started_by__username",
)  # fmt: skip


def submission_list_for_user(user: Any, assignment: Assignment, access: CourseAccess) -> QuerySet[Submission]:
    """Every submission for those who oversee the course; a student's own (and shared ones, if shared). The runs,
    with what the run API names of them, come in a second query for the rows read: joined in the first, a page of
    50 would join and sort every run of a class of 300 (and the notebook source of each) before its LIMIT."""
    runs = Run.objects.select_related("notebook", "version", "owner").only(*RUN_LIST_FIELDS)
    submissions = (
        assignment.submissions.select_related("student", "started_by")
        .only(*SUBMISSION_API_FIELDS)
        .prefetch_related(Prefetch("run", queryset=runs))
    )
    if access.oversees or (access.is_student and assignment.runs_shared):
        return submissions
    return submissions.filter(student_id=user.pk)


# What the assignment page's table of latest runs reads of a submission, its run and the two people it names.
LATEST_RUN_FIELDS = (
    "assignment_id", "student_id", "started_by_id", "run_id", "late", "created_at",
    "student__username", "student__display_name", "started_by__username", "started_by__display_name",
    "run__status", "run__queue", "run__dispatched_at", "run__cells_done", "run__cells_total",
    "run__parameters", "run__metrics", "run__input_source",
)  # fmt: skip


def latest_submissions_for_user(user: Any, assignment: Assignment, access: CourseAccess, limit: int) -> list[Submission]:
    """The newest `limit` of `submission_list_for_user`, with only the columns the assignment page shows. The rows
    are chosen by id first, so the joins and the columns read cover `limit` rows, not every run of the class."""
    visible = submission_list_for_user(user, assignment, access)
    latest = visible.filter(pk__in=visible.values("pk")[:limit]).select_related(None).prefetch_related(None)
    return list(latest.select_related("student", "started_by", "run").only(*LATEST_RUN_FIELDS))


def submission_get_for_user(user: Any, pk: int) -> tuple[Submission, CourseAccess]:
    """The submission if `user` oversees its course, made it, or its assignment shares runs; otherwise NotFound."""
    submission = (
        Submission.objects.select_related("assignment__course", "assignment__notebook", "run", "student").filter(pk=pk).first()
    )
    access = course_access(user, submission.assignment.course) if submission is not None else None
    if submission is None or access is None:
        raise NotFound("No such submission.")
    if not access.oversees and submission.student_id != user.pk and not submission.assignment.runs_shared:
        raise NotFound("No such submission.")
    return submission, access


def run_visibility(user: Any) -> Q:
    """For `notebooks.contract.run_visibility`: the course runs `user` may open on the run pages.

    Instructors (and institution admins) of a course see its assignment runs; students see classmates'
    runs of an assignment whose runs the instructor shared.
    """
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    overseen_courses = Enrolment.objects.filter(user_id=user.pk, role=Enrolment.Role.INSTRUCTOR).values("course_id")
    admin_of = InstitutionMember.objects.filter(user_id=user.pk, is_admin=True).values("institution_id")
    studied = Enrolment.objects.filter(user_id=user.pk, role=Enrolment.Role.STUDENT).values("course_id")
    runs = Submission.objects.filter(
        Q(assignment__course_id__in=overseen_courses)
        | Q(assignment__course__institution_id__in=admin_of)
        | Q(assignment__course_id__in=studied, assignment__runs_shared=True)
    ).values("run_id")
    return Q(pk__in=runs)


def queue_estimates(runs: list[Run]) -> dict[int, Wait]:
    """Place in line and estimated wait of each queued run (the run engine's fair-dispatch estimate)."""
    return waits(runs)


# --- the grade book --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeRun:
    """What a grade-book cell reads of a run: its id, status and metrics (a succeeded run's; the others' are not
    read). Read as values, not as a model: a class of 300 has thousands of runs."""

    pk: int
    status: str
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return force_str(_RUN_STATUS_LABELS.get(self.status, self.status))


_RUN_STATUS_LABELS = dict(Run.Status.choices)

# What a grade-book row shows of a student: the name, and the username and e-mail of the CSV and the API.
GRADE_STUDENT_FIELDS = ("id", "username", "display_name", "email")


@dataclass(frozen=True, slots=True)
class GradeStudent:
    """A student as a grade book reads them (GRADE_STUDENT_FIELDS), named as User.__str__ names them. Read as
    values, not as a model: a class of 300 is 300 users on every view of an assignment's grade book."""

    pk: int
    username: str
    display_name: str
    email: str

    def __str__(self) -> str:
        return self.display_name or self.username


@dataclass(slots=True)
class GradeRow:
    """A student's standing on one assignment, summed up from their submissions (`add`, newest first)."""

    student: GradeStudent | User
    runs: int = 0
    late: bool = False  # some run came after the due date
    latest_run: GradeRun | None = None
    best_run: GradeRun | None = None  # the latest succeeded run: the one whose metrics count

    def add(self, late: bool, run_id: int, status: str, metrics: dict[str, Any] | str | None) -> None:
        """`metrics`: a succeeded run's, or its JSON text (decoded only for the runs a row keeps, at most two)."""
        self.runs += 1
        self.late = self.late or late
        if self.latest_run is None or self.best_run is None:
            run = GradeRun(run_id, status, json.loads(metrics) if isinstance(metrics, str) else (metrics or {}))
            if self.latest_run is None:
                self.latest_run = run
            if self.best_run is None and status == Run.Status.SUCCEEDED:
                self.best_run = run

    def metric(self, name: str) -> Any:
        run = self.best_run
        return run.metrics.get(name) if run is not None else None


def _grade_rows_fill(submissions: QuerySet[Submission], row_of: Callable[[int, int], GradeRow | None]) -> None:
    """Add `submissions` (newest first) to the row `row_of(student id, assignment id)` each counts in; one query.
    Each run's status, and a succeeded run's metrics, come by key in subqueries: joined, PostgreSQL hashed all
    50,000 runs to find an assignment's 900 (12 ms, against 3 ms by key). The metrics come as text: a row keeps
    its latest and its counted run, and decoding every older run's JSON too cost a class of 300 some 3 ms."""
    run = Run.objects.filter(pk=OuterRef("run_id")).order_by()
    columns = submissions.order_by("-created_at", "-id").annotate(
        run_status=Subquery(run.values("status")),
        run_metrics=Cast(Subquery(run.filter(status=Run.Status.SUCCEEDED).values("metrics")), TextField()),
    )
    for student_id, assignment_id, late, run_id, status, metrics in columns.values_list(
        "student_id", "assignment_id", "late", "run_id", "run_status", "run_metrics"
    ):
        row = row_of(student_id, assignment_id)
        if row is not None:
            row.add(late, run_id, status, metrics)


def gradebook(assignment: Assignment) -> list[GradeRow]:
    """One row per enrolled student (also those without a run); two queries."""
    students = (
        User.objects.filter(course_enrolments__course_id=assignment.course_id, course_enrolments__role=Enrolment.Role.STUDENT)
        .order_by("display_name", "username")
        .values_list(*GRADE_STUDENT_FIELDS)
    )
    rows = {pk: GradeRow(student=GradeStudent(pk, *names)) for pk, *names in students}
    _grade_rows_fill(assignment.submissions.all(), lambda student_id, _assignment_id: rows.get(student_id))
    return list(rows.values())


def metric_names(rows: list[GradeRow]) -> list[str]:
    names: set[str] = set()
    for row in rows:
        run = row.best_run
        if run is not None:
            names.update(k for k, v in run.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    return sorted(names)


def grade_metric_of(assignment: Assignment, rows: list[GradeRow]) -> str:
    """The metric an assignment is graded by: the instructor's choice, else the first numeric metric its
    students' counted runs report (the assignment page's default too)."""
    if assignment.grade_metric:
        return assignment.grade_metric
    names = metric_names(rows)
    return names[0] if names else ""


@dataclass
class CourseGradeCell:
    """One student's standing on one assignment, counted as the assignment's grade book counts it."""

    row: GradeRow
    assignment: Assignment
    metric: str

    @property
    def value(self) -> Any:
        return self.row.metric(self.metric) if self.metric else None

    @property
    def run(self) -> GradeRun | None:
        """The run the cell links to: the counted (latest succeeded) run, else the latest one."""
        return self.row.best_run or self.row.latest_run

    @property
    def state(self) -> str:
        """ "counted", "late" (counted, some run after the due date), "no_success" (runs, none succeeded),
        "missing" (no run and the due date passed) or "not_started"."""
        if self.row.best_run is not None:
            return "late" if self.row.late else "counted"
        if self.row.runs:
            return "no_success"
        due = self.assignment.due_at
        return "missing" if due is not None and due < timezone.now() else "not_started"


@dataclass
class CourseGradebook:
    assignments: list[Assignment]
    metrics: list[str]  # per assignment, in the same order
    students: list[User]
    cells: list[list[CourseGradeCell]]  # per student, per assignment


def course_students(course: Course) -> QuerySet[User]:
    """The course's students in grade-book order."""
    students = User.objects.filter(course_enrolments__course_id=course.pk, course_enrolments__role=Enrolment.Role.STUDENT)
    return students.only(*GRADE_STUDENT_FIELDS).order_by("display_name", "username", "pk")


def _course_grade_metrics(assignments: list[Assignment]) -> list[str]:
    """`grade_metric_of` for each assignment of a grade book that holds one page of students: the metrics are
    read from every student's succeeded runs (one query, metrics only), so every page grades by the same one."""
    unchosen = [assignment.pk for assignment in assignments if not assignment.grade_metric]
    reported: dict[int, set[str]] = {pk: set() for pk in unchosen}
    succeeded = Submission.objects.filter(assignment_id__in=unchosen, run__status=Run.Status.SUCCEEDED)
    for assignment_id, metrics in succeeded.values_list("assignment_id", "run__metrics").iterator() if unchosen else []:
        reported[assignment_id].update(
            name for name, value in (metrics or {}).items() if isinstance(value, (int, float)) and not isinstance(value, bool)
        )
    return [assignment.grade_metric or min(reported[assignment.pk], default="") for assignment in assignments]


def course_gradebook(course: Course, students: list[User] | None = None) -> CourseGradebook:
    """Students × assignments, each cell the assignment's grade metric from the student's latest succeeded
    run. `students`: one page of `course_students` (the pages); None: all of them (the CSV). Queries: students,
    assignments, submissions with their runs, and the metrics reported where an assignment has no chosen one."""
    if students is None:
        students = list(course_students(course))
    assignments = list(course.assignments.select_related("version", "course").order_by("due_at", "id"))
    rows: dict[tuple[int, int], GradeRow] = {
        (student.pk, assignment.pk): GradeRow(student=student) for student in students for assignment in assignments
    }
    submissions = Submission.objects.filter(assignment__course_id=course.pk, student__in=students)
    _grade_rows_fill(submissions, lambda student_id, assignment_id: rows.get((student_id, assignment_id)))
    metrics = _course_grade_metrics(assignments)
    cells = [
        [
            CourseGradeCell(row=rows[(student.pk, assignment.pk)], assignment=assignment, metric=metric)
            for assignment, metric in zip(assignments, metrics, strict=True)
        ]
        for student in students
    ]
    return CourseGradebook(assignments=assignments, metrics=metrics, students=students, cells=cells)


def sort_rows(rows: list[GradeRow], key: str, descending: bool) -> list[GradeRow]:
    """Sorted by name, status, runs, late or a metric; rows without a value always last."""

    def value(row: GradeRow) -> Any:
        if key == "name":
            return str(row.student).lower()
        if key == "status":
            return row.latest_run.status if row.latest_run else None
        if key == "runs":
            return row.runs
        if key == "late":
            return row.late
        metric = row.metric(key.removeprefix("m:"))
        return metric if isinstance(metric, (int, float)) else None

    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    return sorted(present, key=value, reverse=descending) + missing


def histogram(values: list[float], bins: int = 8) -> list[dict[str, Any]]:
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [{"low": low, "high": high, "count": len(values)}]
    width = (high - low) / bins
    counts = [0] * bins
    for item in values:
        counts[min(bins - 1, int((item - low) / width))] += 1
    return [{"low": low + i * width, "high": low + (i + 1) * width, "count": counts[i]} for i in range(bins)]


def failed_submissions(assignment: Assignment) -> QuerySet[Submission]:
    failed = [Run.Status.FAILED, Run.Status.TIMED_OUT]
    # assignment_id too: a related manager's rows read it to share the assignment they came from.
    shown = (
        "assignment_id", "student_id", "run_id", "student__username", "student__display_name",
        "run__status", "run__error", "run__error_cell",
    )  # fmt: skip
    # The status by key in a subquery: joined with the condition on runs, PostgreSQL read every failed run of the
    # portal (5,000 at scale) to hash them against the assignment's 900 submissions (8 ms, against 1 ms by key).
    status = Subquery(Run.objects.filter(pk=OuterRef("run_id")).order_by().values("status"))
    return (
        assignment.submissions.annotate(run_status=status)
        .filter(run_status__in=failed)
        .select_related("student", "run")
        .only(*shown)
    )


# --- bundles, downloads, derived projects ----------------------------------------------------------


def course_notebooks(course: Course) -> list[tuple[Notebook, Any]]:
    """The notebooks of a course's assignments, each at its pinned version (one per notebook, latest)."""
    pinned: dict[int, tuple[Notebook, Any]] = {}
    for assignment in course.assignments.select_related("notebook", "version").order_by("created_at"):
        pinned[assignment.notebook_id] = (assignment.notebook, assignment.version)
    return list(pinned.values())


def download_figures() -> dict[str, Any]:
    """Public download counts: bundles and distinct institutions, in total and per notebook."""
    downloads = BundleDownload.objects.all()
    per_notebook = (
        downloads.values("notebook__slug", "notebook__title_en", "notebook__title_zh")
        .annotate(downloads=Count("bundle", distinct=True), institutions=Count("institution", distinct=True))
        .order_by("-downloads", "notebook__slug")
    )
    return {
        "bundles": downloads.values("bundle").distinct().count(),
        "institutions": downloads.exclude(institution=None).values("institution").distinct().count(),
        "per_notebook": [
            {
                "slug": row["notebook__slug"],
                "title_en": row["notebook__title_en"],
                "title_zh": row["notebook__title_zh"],
                "downloads": row["downloads"],
                "institutions": row["institutions"],
            }
            for row in per_notebook
        ],
    }


def notebook_download_figures(notebook: Notebook) -> dict[str, int]:
    downloads = BundleDownload.objects.filter(notebook=notebook)
    return {
        "downloads": downloads.values("bundle").distinct().count(),
        "institutions": downloads.exclude(institution=None).values("institution").distinct().count(),
    }


def derived_project_list(
    *, status: str = DerivedProject.Status.APPROVED, institution: Institution | None = None, notebook: Notebook | None = None
) -> QuerySet[DerivedProject]:
    projects = DerivedProject.objects.select_related("institution").prefetch_related(
        Prefetch("notebooks", queryset=Notebook.objects.only("slug", "title_en", "title_zh"))
    )
    if status:
        projects = projects.filter(status=status)
    if institution is not None:
        projects = projects.filter(institution=institution)
    if notebook is not None:
        projects = projects.filter(notebooks=notebook)
    return projects


def derived_project_get(pk: int) -> DerivedProject:
    project = DerivedProject.objects.select_related("institution").filter(pk=pk).first()
    if project is None:
        raise NotFound("No such project.")
    return project


def institution_get(pk: int) -> Institution:
    institution = Institution.objects.filter(pk=pk).first()
    if institution is None:
        raise NotFound("No such institution.")
    return institution


def institution_figures(institution: Institution) -> dict[str, int]:
    return {
        "courses": institution.courses.count(),
        "downloads": BundleDownload.objects.filter(institution=institution).values("bundle").distinct().count(),
    }


def has_enrolment(course: Course, user: Any) -> bool:
    return Enrolment.objects.filter(course=course, user_id=user.pk).exists()
