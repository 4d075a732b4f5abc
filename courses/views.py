"""Pages of the courses app: validate input, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date, floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.charts import ColumnChart, column_chart
from accounts.errors import ApplicationError, NotAllowed, NotFound, TooLarge
from accounts.links import choice_labels, url_for_ids
from accounts.models import Role
from accounts.page_errors import form_add_service_errors, page_errors
from accounts.selectors import user_has_role
from accounts.spreadsheet_csv import csv_response
from courses import selectors, services
from courses.forms import (
    AssignmentForm,
    AssignmentSettingsForm,
    CourseForm,
    CourseLimitsForm,
    EnrolmentCsvForm,
    JoinForm,
    NotebookChoiceForm,
    ProjectForm,
)
from courses.models import DerivedProject, Enrolment
from notebooks.contract import parameter_specs
from notebooks.fair_queue import Wait, duration_text
from notebooks.forms import RunForm
from notebooks.metrics import MetricValue, format_value, metric_values
from notebooks.models import Notebook
from notebooks.result_cache import is_deterministic
from notebooks.services import student_run_maxima

# --- course list, creation, joining ----------------------------------------------------------------


@login_required
@page_errors
def index(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    form = CourseForm(request.POST or None)
    status = 200
    may_create = user_has_role(user, Role.INSTRUCTOR, Role.ADMINISTRATOR)
    if request.method == "POST":
        if not may_create:
            raise NotAllowed(_("Creating a course needs the instructor role."))
        if form.is_valid():
            try:
                course = services.course_create(actor=user, **form.cleaned_data)
            except ApplicationError as error:
                form_add_service_errors(form, error)
                status = error.status
            else:
                messages.success(request, _("Course created. Share the invite code or upload your student list."))
                return redirect("courses:course", pk=course.pk)
        else:
            status = 400
    context = {
        "courses": selectors.course_list_for_user(user),
        "form": form,
        "join_form": JoinForm(),
        "may_create": may_create,
    }
    return render(request, "courses/index.html", context, status=status)


@login_required
@require_POST
@page_errors
def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type the invite code your instructor gave you."))
        return redirect("courses:index")
    try:
        enrolment = services.course_join(actor=actor_of(request), invite_code=form.cleaned_data["invite_code"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("courses:index")
    messages.success(request, _("You joined the course."))
    return redirect("courses:course", pk=enrolment.course_id)


def status_badges() -> Callable[[Any], str]:
    """The status badge of a run (notebooks/_status.html), rendered once per status on a page: it reads the run's
    status and its label only, and a page's 50 to 150 rows of runs share a handful of statuses."""
    shown: dict[str, str] = {}

    def badge(run: Any) -> str:
        if run.status not in shown:
            shown[run.status] = render_to_string("notebooks/_status.html", {"run": run})
        return shown[run.status]

    return badge


# --- one course ------------------------------------------------------------------------------------


def _chosen_notebook(slug: str | None) -> Notebook | None:
    if not slug:
        return None
    notebooks = Notebook.objects.filter(slug=slug, is_active=True, current_version__isnull=False)
    return notebooks.select_related("current_version").first()


def _course_page(request: HttpRequest, pk: int, **extra: Any) -> HttpResponse:
    user = actor_of(request)
    course, access = selectors.course_get_for_user(user, pk)
    status = extra.pop("status", 200)
    context: dict[str, Any] = {
        "course": course,
        "access": access,
        "assignments": selectors.assignment_list(course),
        "roster": _roster_rows(course) if access.oversees else "",
        "limits": selectors.course_run_limits(course),
    }
    if access.manages:
        maxima = student_run_maxima()
        notebook = _chosen_notebook(request.GET.get("notebook"))
        context.update(
            {
                "csv_form": extra.pop("csv_form", None) or EnrolmentCsvForm(),
                "notebook_form": NotebookChoiceForm(initial={"notebook": notebook.slug if notebook else None}),
                "assignment_form": extra.pop("assignment_form", None)
                or (AssignmentForm(notebook, maxima) if notebook is not None else None),
                "limits_form": extra.pop("limits_form", None)
                or CourseLimitsForm(
                    maxima, initial={"run_timeout_seconds": course.run_timeout_seconds, "run_memory_mb": course.run_memory_mb}
                ),
                "maxima": maxima,
            }
        )
    context.update(extra)
    return render(request, "courses/course_detail.html", context, status=status)


def _roster_rows(course: Any) -> SafeString:
    """The course's people as the roster table's rows. Drawn here, each label translated once: a class of 300 is
    1,200 cells, which the template's loop and variable lookups took a third of the page's time to draw."""
    roles = choice_labels(Enrolment.Role.choices)
    sources = choice_labels(Enrolment.Source.choices)
    people = selectors.course_roster(course).values_list("user__display_name", "user__username", "user__email", "role", "source")
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        # The name as User.__str__ gives it.
        (
            (display_name or username, email, roles.get(role, role), sources.get(source, source))
            for display_name, username, email, role, source in people
        ),
    )


@login_required
@page_errors
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_page(request, pk)


@login_required
@require_POST
@page_errors
def enrol_csv(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    course, access = selectors.course_get_for_user(user, pk)
    if not access.manages:
        raise NotAllowed(_("Only an instructor of this course can enrol students."))
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.COURSES_CSV_MAX_BYTES + 64 * 1024:
        return _course_page(request, pk, status=413, csv_error=_("The file is too large."))
    form = EnrolmentCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        return _course_page(request, pk, csv_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        created = services.enrolment_csv_import(actor=user, course=course, raw=upload.read(settings.COURSES_CSV_MAX_BYTES + 1))
    except services.CsvRejected as rejected:
        return _course_page(request, pk, csv_report=rejected.report, status=400)
    except TooLarge as error:
        return _course_page(request, pk, csv_error=error.message, status=413)
    except ApplicationError as error:
        return _course_page(request, pk, csv_error=error.message, status=error.status)
    messages.success(request, _("%(count)d students enrolled.") % {"count": len(created)})
    return redirect("courses:course", pk=pk)


@login_required
@require_POST
@page_errors
def course_limits(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    course, access = selectors.course_get_for_user(user, pk)
    if not access.manages:
        raise NotAllowed(_("Only an instructor of this course can set its limits."))
    form = CourseLimitsForm(student_run_maxima(), request.POST)
    if not form.is_valid():
        return _course_page(request, pk, limits_form=form, status=400)
    try:
        services.course_limits_set(actor=user, course=course, **form.cleaned_data)
    except ApplicationError as error:
        form_add_service_errors(form, error)
        return _course_page(request, pk, limits_form=form, status=error.status)
    messages.success(request, _("Run limits saved."))
    return redirect("courses:course", pk=pk)


@login_required
@require_POST
@page_errors
def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    course, access = selectors.course_get_for_user(user, pk)
    if not access.manages:
        raise NotAllowed(_("Only an instructor of this course can add assignments."))
    notebook = _chosen_notebook(request.POST.get("notebook"))
    if notebook is None:
        messages.error(request, _("Choose a notebook from the catalogue first."))
        return _course_page(request, pk, status=400)
    form = AssignmentForm(notebook, student_run_maxima(), request.POST)
    if not form.is_valid():
        return _course_page(request, pk, assignment_form=form, status=400)
    data = form.cleaned_data
    try:
        assignment = services.assignment_create(
            actor=user,
            course=course,
            notebook=notebook,
            title=data["title"],
            default_parameters=form.parameters(),
            due_at=data["due_at"],
            queue=data["queue"],
            run_quota=data["run_quota"],
            runs_shared=data["runs_shared"],
            grade_metric=data["grade_metric"],
            run_timeout_seconds=data["run_timeout_seconds"],
            run_memory_mb=data["run_memory_mb"],
        )
    except ApplicationError as error:
        form_add_service_errors(form, error)
        return _course_page(request, pk, assignment_form=form, status=error.status)
    messages.success(request, _("Assignment added."))
    return redirect("courses:assignment", pk=assignment.pk)


def _zip_response(bundle: services.Bundle) -> HttpResponse:
    response = HttpResponse(bundle.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{bundle.filename}"'
    return response


@login_required
@page_errors
def course_bundle(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    course, _access = selectors.course_get_for_user(user, pk)
    try:
        return _zip_response(services.bundle_download(actor=user, course=course))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("courses:course", pk=pk)


@login_required
@page_errors
def notebook_bundle(request: HttpRequest, slug: str) -> HttpResponse:
    notebook = Notebook.objects.filter(slug=slug, is_active=True).select_related("current_version").first()
    if notebook is None:
        raise NotFound("No such notebook in the catalogue.")
    try:
        return _zip_response(services.bundle_download(actor=actor_of(request), notebook=notebook))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("notebooks:notebook", slug=slug)


# --- assignments -----------------------------------------------------------------------------------


def _run_form(assignment: Any, data: Any = None) -> RunForm:
    specs = [
        replace(spec, default=assignment.default_parameters.get(spec.name, spec.default))
        for spec in parameter_specs(assignment.version.parameters)
    ]
    form = RunForm(
        specs, data, default_queue=assignment.queue, offer_reuse=assignment.reuse_results and is_deterministic(assignment.version)
    )
    del form.fields["queue"]
    return form


def _histogram_svg(values: list[float]) -> ColumnChart:
    items = [
        (
            b["count"],
            floatformat(b["low"], -2),
            str(b["count"]),
            f"{floatformat(b['low'], -3)} – {floatformat(b['high'], -3)}: {b['count']}",
        )
        for b in selectors.histogram(values)
    ]
    return column_chart(items, step=52, column_width=44, plot_height=100, height=150, label_y=128, label_font=9, value_gap=3)


@login_required
@page_errors
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    assignment, access = selectors.assignment_get_for_user(user, pk)
    form = _run_form(assignment, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not access.is_student:
            raise NotAllowed(_("Only students of this course run its assignments."))
        if form.is_valid():
            try:
                submission = services.assignment_run_start(
                    actor=user,
                    assignment=assignment,
                    parameters=form.parameters(),
                    fresh=form.cleaned_data.get("fresh", False),
                )
            except ApplicationError as error:
                form_add_service_errors(form, error)
                status = error.status
            else:
                messages.success(request, _("Run started."))
                return redirect("notebooks:run", pk=submission.run_id)
        else:
            status = 400
    return _assignment_page(request, assignment, access, form=form, status=status)


def _assignment_page(
    request: HttpRequest,
    assignment: Any,
    access: selectors.CourseAccess,
    *,
    form: RunForm,
    status: int = 200,
) -> HttpResponse:
    """The assignment's runs: the latest few, each with its place in line. Its grade book is a page of its own
    (`assignment_grades`), so this page stays as fast for a class of 300 as for a class of 3."""
    user = actor_of(request)
    submissions = selectors.latest_submissions_for_user(user, assignment, access, LATEST_RUNS_SHOWN)
    shown = len(submissions)
    total = shown if shown < LATEST_RUNS_SHOWN else selectors.submission_list_for_user(user, assignment, access).count()
    estimates = selectors.queue_estimates([s.run for s in submissions])
    run_url, api_url, badge = url_for_ids("notebooks:run"), url_for_ids("api-run"), status_badges()
    changes_url, rerun_url = url_for_ids("labs:submission_changes"), url_for_ids("courses:rerun")
    context: dict[str, Any] = {
        "assignment": assignment,
        "course": assignment.course,
        "access": access,
        "form": form,
        "submissions": [
            {
                "pk": str(s.pk),
                "run_id": str(s.run_id),
                "terminal": "1" if s.run.is_terminal else "0",
                "student": str(s.student),
                "rerun_by": str(s.started_by) if s.started_by_id != s.student_id else "",
                "late": s.late,
                "wait": _wait_text(estimates.get(s.run_id)),
                "status": badge(s.run),
                "cells": f"{s.run.cells_done}/{s.run.cells_total}",
                "parameters": _pairs(s.run.parameters),
                "metrics": "".join(f"{pair} " for pair in _pairs(s.run.metrics)),
                "submitted": date(localtime(s.created_at), "Y-m-d H:i"),
                "run_url": run_url(s.run_id),
                "api_url": api_url(s.run_id),
                "changes_url": changes_url(s.pk) if s.run.input_source else "",
                "rerun_url": rerun_url(s.pk),
            }
            for s in submissions
        ],
        "submission_count": total,
        "mine_used": sum(1 for s in submissions if s.student_id == user.pk and s.started_by_id == user.pk),
        "limits": selectors.assignment_run_limits(assignment),
    }
    return render(request, "courses/assignment_detail.html", context, status=status)


def _wait_text(estimate: Wait | None) -> str:
    """A queued run's place in line and wait, as the template's `blocktranslate` tags wrote them (the values
    localized and escaped, the sentences not): made here, once per row, not by two tags per row."""
    if estimate is None:
        return ""
    text = _("position %(position)s in the queue") % {"position": conditional_escape(localize(estimate.position))}
    if estimate.seconds is not None:
        text += " · " + _("about %(duration)s to wait") % {"duration": conditional_escape(duration_text(estimate.seconds))}
    return mark_safe(text)  # noqa: S308 -- the catalogue's sentences, as a template shows them; values escaped


def _pairs(values: dict[str, Any]) -> list[str]:
    """`key=value` of each of a run's parameters or metrics, the value as a template shows it (localized). Made
    here, not in the template: a page of 50 runs has hundreds, and each template lookup and loop costs."""
    return [f"{key}={localize(value)}" for key, value in values.items()]


@login_required
@page_errors
def assignment_grades(request: HttpRequest, pk: int) -> HttpResponse:
    assignment, access = _overseen_assignment(request, pk)
    return _grades_page(request, assignment, access, selectors.gradebook(assignment))


def _grades_page(
    request: HttpRequest,
    assignment: Any,
    access: selectors.CourseAccess,
    rows: list[selectors.GradeRow],
    *,
    status: int = 200,
    settings_form: AssignmentSettingsForm | None = None,
) -> HttpResponse:
    """An assignment's grade book, its distribution and failed runs, and for its managers the settings form, whose
    choice of grade-book metric offers the metrics the grade book's rows report."""
    context: dict[str, Any] = {"assignment": assignment, "course": assignment.course, "access": access}
    context.update(_dashboard(request, assignment, rows))
    if access.manages:
        context["limits"] = selectors.assignment_run_limits(assignment)
        context["settings_form"] = settings_form or AssignmentSettingsForm(assignment, context["metrics"], student_run_maxima())
    return render(request, "courses/assignment_grades.html", context, status=status)


def _dashboard(request: HttpRequest, assignment: Any, rows: list[selectors.GradeRow]) -> dict[str, Any]:
    metrics = selectors.metric_names(rows)
    sort = request.GET.get("sort", "name")
    if sort not in {"name", "status", "runs", "late"} and sort.removeprefix("m:") not in metrics:
        sort = "name"
    descending = request.GET.get("dir") == "desc"
    chosen = request.GET.get("metric", "")
    graded_by = selectors.grade_metric_of(assignment, rows)
    chosen = chosen if chosen in metrics else (graded_by if graded_by in metrics else (metrics[0] if metrics else ""))
    run_url, badge = url_for_ids("notebooks:run"), status_badges()
    page = Paginator(selectors.sort_rows(rows, sort, descending), GRADEBOOK_PAGE_STUDENTS).get_page(request.GET.get("page"))
    values = [float(v) for v in (row.metric(chosen) for row in rows) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    # Labels, units and precision as the notebook declares them (metadata.portal.metrics).
    declared = assignment.version.metadata.get("metrics") or {}
    labels = {value.name: value for value in metric_values(declared, dict.fromkeys(metrics, 0))}
    # The rows are drawn here, each label once: 50 students × their metrics took the template a third of the page.
    not_started = format_html('<span class="muted">{}</span>', _("not started"))
    late = format_html('<span class="badge bad">{}</span>', _("late"))
    return {
        "rows": format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td class="num">{}</td><td>{}</td>{}</tr>',
            (
                (
                    str(row.student),
                    badge(row.latest_run) if row.latest_run else not_started,
                    row.runs,
                    late if row.late else "",
                    format_html_join(
                        "", '<td class="num">{}</td>', ((format_value(row.metric(name), declared.get(name)),) for name in metrics)
                    ),
                )
                for row in page.object_list
            ),
        ),
        "page": page,
        "metrics": metrics,
        "metric_headers": [labels[name] for name in metrics],
        "chosen_label": labels[chosen].label if chosen else "",
        "sort": sort,
        "descending": descending,
        "chosen_metric": chosen,
        "graded_by": graded_by,
        "chart": _histogram_svg(values),
        "failed": [
            {"submission": s, "run_url": run_url(s.run_id), "status": badge(s.run)}
            for s in selectors.failed_submissions(assignment)[:LATEST_RUNS_SHOWN]
        ],
    }


@login_required
@page_errors
def grades_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assignment, _access = _overseen_assignment(request, pk)
    rows = selectors.gradebook(assignment)
    metrics = selectors.metric_names(rows)
    header = ["username", "name", "email", "runs", "latest_status", "late", "best_run", *metrics]
    body = []
    for row in rows:
        latest, best = row.latest_run, row.best_run
        body.append(
            [
                row.student.username,
                str(row.student),
                row.student.email,
                row.runs,
                latest.status if latest else "",
                "yes" if row.late else "no",
                best.pk if best else "",
                *["" if row.metric(name) is None else row.metric(name) for name in metrics],
            ]
        )
    return csv_response(header, body, f"assignment-{assignment.pk}-grades.csv")


@login_required
@require_POST
@page_errors
def assignment_settings(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    assignment, access = selectors.assignment_get_for_user(user, pk)
    if not access.manages:
        raise NotAllowed(_("Only an instructor can change this.")) if access.oversees else NotFound("No such assignment.")
    rows = selectors.gradebook(assignment)
    form = AssignmentSettingsForm(assignment, selectors.metric_names(rows), student_run_maxima(), request.POST)
    status = 400
    if form.is_valid():
        try:
            services.assignment_settings_set(actor=user, assignment=assignment, **form.cleaned_data)
        except ApplicationError as error:
            form_add_service_errors(form, error)
            status = error.status
        else:
            messages.success(request, _("Assignment settings saved."))
            return redirect("courses:assignment_grades", pk=pk)
    return _grades_page(request, assignment, access, rows, status=status, settings_form=form)


# --- the course-wide grade book --------------------------------------------------------------------

CELL_STATES = {
    "counted": "",
    "late": gettext_lazy("late"),
    "no_success": gettext_lazy("no successful run"),
    "missing": gettext_lazy("missing"),
    "not_started": gettext_lazy("not started"),
}


GRADEBOOK_PAGE_STUDENTS = 50
LATEST_RUNS_SHOWN = 50  # an assignment's page lists its latest runs; every student's are in its grade book (Grades)


def _overseen_course(request: HttpRequest, pk: int) -> Any:
    """The course for those who oversee it; NotFound for everyone else."""
    course, access = selectors.course_get_for_user(actor_of(request), pk)
    if not access.oversees:
        raise NotFound("No such course.")
    return course


def _overseen_assignment(request: HttpRequest, pk: int) -> tuple[Any, selectors.CourseAccess]:
    """The assignment and the access to it, for those who oversee its course; NotFound for everyone else."""
    assignment, access = selectors.assignment_get_for_user(actor_of(request), pk)
    if not access.oversees:
        raise NotFound("No such assignment.")
    return assignment, access


def _metric_label(assignment: Any, metric: str) -> MetricValue | None:
    if not metric:
        return None
    return metric_values(assignment.version.metadata.get("metrics"), {metric: 0})[0]


@login_required
@page_errors
def course_gradebook(request: HttpRequest, pk: int) -> HttpResponse:
    course = _overseen_course(request, pk)
    page = Paginator(selectors.course_students(course), GRADEBOOK_PAGE_STUDENTS).get_page(request.GET.get("page"))
    book = selectors.course_gradebook(course, list(page.object_list))
    columns = [
        {"assignment": assignment, "metric": metric, "label": _metric_label(assignment, metric)}
        for assignment, metric in zip(book.assignments, book.metrics, strict=True)
    ]
    context = {"course": course, "columns": columns, "rows": _gradebook_rows(book), "page": page}
    return render(request, "courses/course_gradebook.html", context)


def _gradebook_rows(book: selectors.CourseGradebook) -> SafeString:
    """The grade book's rows, drawn here: 50 students × the assignments' cells took the template's loops and
    variable lookups most of the page's time. Each state's flag is drawn once."""
    run_url, badge = url_for_ids("notebooks:run"), status_badges()
    flags = {
        state: format_html('<span class="badge bad">{}</span>', label)
        if state in ("late", "missing")
        else (format_html('<span class="muted">{}</span>', label) if state == "not_started" else "")
        for state, label in CELL_STATES.items()
    }

    def cell_shown(cell: selectors.CourseGradeCell) -> tuple[str, SafeString | str, SafeString | str]:
        # The link's text: the value, else the status of a run that did not succeed, else the run's number.
        value, state, run = cell.value, cell.state, cell.run
        text = format_value(value, _declared(cell.assignment, cell.metric)) if value is not None else ""
        if run is None:
            return state, "", flags[state]
        if not text:
            text = badge(run) if state == "no_success" else f"#{run.pk}"
        return state, format_html('<a href="{}">{}</a>', run_url(run.pk), text), flags[state]

    return format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (str(student), format_html_join("", '<td class="num" data-cell data-state="{}">{} {}</td>', map(cell_shown, cells)))
            for student, cells in zip(book.students, book.cells, strict=True)
        ),
    )


def _declared(assignment: Any, metric: str) -> Any:
    declared = assignment.version.metadata.get("metrics") or {}
    return declared.get(metric) if isinstance(declared, dict) else None


@login_required
@page_errors
def course_gradebook_csv(request: HttpRequest, pk: int) -> HttpResponse:
    course = _overseen_course(request, pk)
    book = selectors.course_gradebook(course)  # every student: the file is the whole class
    header = ["username", "name", "email"]
    for assignment, metric in zip(book.assignments, book.metrics, strict=True):
        title = f"{assignment.title} [{metric or '-'}]"
        header += [title, f"{assignment.title} (state)", f"{assignment.title} (run)"]
    body = []
    for student, cells in zip(book.students, book.cells, strict=True):
        line: list[Any] = [student.username, str(student), student.email]
        for cell in cells:
            value = cell.value
            line += ["" if value is None else value, cell.state, cell.run.pk if cell.run else ""]
        body.append(line)
    return csv_response(header, body, f"course-{course.pk}-gradebook.csv")


@login_required
@require_POST
@page_errors
def rerun(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    submission, access = selectors.submission_get_for_user(user, pk)
    if not access.manages:
        raise NotAllowed(_("Only an instructor can re-run.")) if access.oversees else NotFound("No such submission.")
    try:
        again = services.assignment_rerun(actor=user, submission=submission)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("courses:assignment", pk=submission.assignment_id)
    messages.success(request, _("Re-run started for %(student)s.") % {"student": submission.student})
    return redirect("notebooks:run", pk=again.run_id)


# --- derived projects and institutions -------------------------------------------------------------


@page_errors
def projects(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    status = 200
    user = request.user if request.user.is_authenticated else None
    may_submit = user_has_role(request.user, Role.INSTRUCTOR, Role.ADMINISTRATOR)
    if request.method == "POST":
        if user is None:
            return redirect(f"{reverse('login')}?next={request.path}")
        if not may_submit:
            raise NotAllowed(_("Submitting a project needs the instructor role."))
        institution = selectors.user_home_institution(user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if institution is None:
                    raise ApplicationError(
                        _("You belong to no institution."), fields={"title": [_("You belong to no institution.")]}
                    )
                services.derived_project_submit(
                    actor=actor_of(request),
                    institution=institution,
                    title=data["title"],
                    team=data["team"],
                    competition=data["competition"],
                    award=data["award"],
                    year=data["year"],
                    notebooks=list(data["notebooks"]),
                    links=data["links"].splitlines(),
                )
            except ApplicationError as error:
                form_add_service_errors(form, error)
                status = error.status
            else:
                messages.success(request, _("Thank you: a curator will review the project."))
                return redirect("courses:projects")
        else:
            status = 400
    pending = (
        selectors.derived_project_list(status=DerivedProject.Status.PENDING)
        if user_has_role(request.user, Role.CURATOR, Role.ADMINISTRATOR)
        else []
    )
    context = {
        "projects": selectors.derived_project_list(),
        "pending": pending,
        "form": form,
        "may_submit": may_submit,
    }
    return render(request, "courses/projects.html", context, status=status)


@login_required
@require_POST
@page_errors
def project_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    project = selectors.derived_project_get(pk)
    if project.status != DerivedProject.Status.APPROVED and not user_has_role(user, Role.CURATOR, Role.ADMINISTRATOR):
        raise NotFound("No such project.")  # pending ones are visible to curators only
    try:
        services.derived_project_decide(actor=user, project=project, approve=request.POST.get("decision") == "approve")
    except NotAllowed:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("courses:projects")


@page_errors
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = selectors.institution_get(pk)
    context = {
        "institution": institution,
        "figures": selectors.institution_figures(institution),
        "projects": selectors.derived_project_list(institution=institution),
    }
    return render(request, "courses/institution_detail.html", context)


def notebook_panel(request: HttpRequest, notebook: Notebook) -> str:
    """The panel on a catalogue notebook's page (`notebooks.contract.notebook_panel`): downloads, projects."""
    context = {
        "notebook": notebook,
        "figures": selectors.notebook_download_figures(notebook),
        "projects": selectors.derived_project_list(notebook=notebook),
        "user": request.user,
    }
    return render_to_string("courses/_notebook_panel.html", context, request=request)
