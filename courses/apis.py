"""REST API of the courses app (DRF APIView style: validate, call one service or selector, serialize)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound, TooLarge
from accounts.pagination import ListPage, page_response
from courses import selectors, services
from courses.models import Assignment, Course, DerivedProject, Submission
from notebooks.api_fields import ParameterValuesField
from notebooks.apis import RunSerializer


class CourseSerializer(serializers.ModelSerializer[Course]):
    institution = serializers.CharField(source="institution.name_en")
    institution_id = serializers.IntegerField()
    students = serializers.IntegerField(required=False)

    class Meta:
        model = Course
        fields = ["id", "code", "title", "term", "cohort", "institution", "institution_id", "students", "created_at"]


class CourseListApi(APIView):
    """Courses the user teaches, studies in or (as institution admin) oversees; instructors create them."""

    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=40)
        title = serializers.CharField(max_length=200)
        term = serializers.CharField(max_length=40)
        cohort = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)

    @extend_schema(responses={200: CourseSerializer(many=True)})
    def get(self, request: Request) -> Response:
        courses = selectors.course_list_for_user(actor_of(request))
        return page_response(request, courses, lambda page: CourseSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CourseSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_create(actor=actor_of(request), **data.validated_data)
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    notebook = serializers.CharField(source="notebook.slug")
    version = serializers.CharField(source="version.sha256")
    due_at = serializers.DateTimeField(allow_null=True)
    queue = serializers.CharField()
    run_quota = serializers.IntegerField()


class CourseDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        course = CourseSerializer()
        role = serializers.CharField()
        invite_code = serializers.CharField(allow_null=True)
        assignments = CourseAssignmentSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        course, access = selectors.course_get_for_user(actor_of(request), pk)
        assignments = CourseAssignmentSerializer(selectors.assignment_list(course), many=True).data
        body = {
            "course": CourseSerializer(course).data,
            "role": access.role,
            "invite_code": course.invite_code if access.manages else None,
            "assignments": assignments,
        }
        return Response(body)


class EnrolmentCsvApi(APIView):
    """Enrols the students of a CSV file (email, name; UTF-8 or GBK): all rows or none."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    class OutputSerializer(serializers.Serializer):
        enrolled = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = actor_of(request)
        course, access = selectors.course_get_for_user(user, pk)
        if not access.manages:
            raise NotAllowed("Only an instructor of this course can enrol students.")
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.COURSES_CSV_MAX_BYTES + 64 * 1024:
            raise TooLarge(f"An enrolment file may be at most {settings.COURSES_CSV_MAX_BYTES // 1024} KB.")
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("Attach the CSV file as `file`.", fields={"file": ["This field is required."]})
        created = services.enrolment_csv_import(actor=user, course=course, raw=upload.read(settings.COURSES_CSV_MAX_BYTES + 1))
        return Response({"enrolled": [e.user.email for e in created]}, status=status.HTTP_201_CREATED)


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    student = serializers.CharField(source="student.username")
    started_by = serializers.CharField(source="started_by.username")
    run = RunSerializer()

    class Meta:
        model = Submission
        fields = ["id", "student", "started_by", "late", "created_at", "run"]


class AssignmentRunsApi(APIView):
    """Runs of an assignment the user may see; a student starts one with their parameters."""

    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        parameters = ParameterValuesField(required=False, default=dict)
        timeout_seconds = serializers.IntegerField(required=False, min_value=10)
        memory_limit_mb = serializers.IntegerField(required=False, min_value=256)
        fresh = serializers.BooleanField(
            required=False, default=False, help_text="Execute even where the assignment reuses identical results."
        )

    @extend_schema(responses={200: SubmissionSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        user = actor_of(request)
        assignment, access = selectors.assignment_get_for_user(user, pk)
        submissions = selectors.submission_list_for_user(user, assignment, access)

        def serialize(page: list[Submission]) -> Any:
            estimates = selectors.queue_estimates([submission.run for submission in page])
            positions = {run_id: estimate.position for run_id, estimate in estimates.items()}
            return SubmissionSerializer(page, many=True, context={"queue_positions": positions}).data

        return page_response(request, submissions, serialize)

    @extend_schema(request=InputSerializer, responses={201: SubmissionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = actor_of(request)
        assignment, _access = selectors.assignment_get_for_user(user, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.assignment_run_start(actor=user, assignment=assignment, **data.validated_data)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class DerivedProjectSerializer(serializers.ModelSerializer[DerivedProject]):
    institution = serializers.CharField(source="institution.name_en")
    notebooks: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    links = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = DerivedProject
        fields = ["id", "title", "team", "institution", "competition", "award", "year", "notebooks", "links"]


class DerivedProjectListApi(APIView):
    """Approved derived projects, public."""

    permission_classes = [AllowAny]
    pagination_class = ListPage

    @extend_schema(responses={200: DerivedProjectSerializer(many=True)})
    def get(self, request: Request) -> Response:
        projects = selectors.derived_project_list()
        return page_response(request, projects, lambda page: DerivedProjectSerializer(page, many=True).data)


class LimitsInputSerializer(serializers.Serializer):
    """Run limits an instructor sets; null: no limit of this scope (the wider one applies)."""

    run_timeout_seconds = serializers.IntegerField(allow_null=True)
    run_memory_mb = serializers.IntegerField(allow_null=True)


class RunLimitsSerializer(serializers.Serializer):
    timeout_seconds = serializers.IntegerField()
    memory_mb = serializers.IntegerField()
    timeout_set_by = serializers.CharField(help_text="Who set the time limit: assignment, course or portal.")
    memory_set_by = serializers.CharField(help_text="Who set the memory limit: assignment, course or portal.")


class CourseLimitsApi(APIView):
    """The run limits of a course's student runs; its instructors set them within the portal's maxima."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        run_timeout_seconds = serializers.IntegerField(allow_null=True)
        run_memory_mb = serializers.IntegerField(allow_null=True)
        runs_at_once = serializers.IntegerField(allow_null=True)
        effective = RunLimitsSerializer()

    def _body(self, course: Course) -> dict[str, Any]:
        return {
            "run_timeout_seconds": course.run_timeout_seconds,
            "run_memory_mb": course.run_memory_mb,
            "runs_at_once": course.runs_at_once,
            "effective": vars(selectors.course_run_limits(course)),
        }

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        course, _access = selectors.course_get_for_user(actor_of(request), pk)
        return Response(self._body(course))

    class InputSerializer(LimitsInputSerializer):
        runs_at_once = serializers.IntegerField(
            allow_null=True,
            required=False,
            default=None,
            help_text="How many of the course's runs may be on the runners at once; null: the portal's setting.",
        )

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def put(self, request: Request, pk: int) -> Response:
        user = actor_of(request)
        course, access = selectors.course_get_for_user(user, pk)
        if not access.manages:
            raise NotAllowed("Only an instructor of this course can set its limits.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_limits_set(actor=user, course=course, **data.validated_data)
        return Response(self._body(course))


class AssignmentSettingsApi(APIView):
    """An assignment's grade-book metric and run limits; its course's instructors set them."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(LimitsInputSerializer):
        grade_metric = serializers.CharField(max_length=100, allow_blank=True, default="")
        reuse_results = serializers.BooleanField(required=False, default=False)

    class OutputSerializer(serializers.Serializer):
        grade_metric = serializers.CharField()
        reuse_results = serializers.BooleanField()
        run_timeout_seconds = serializers.IntegerField(allow_null=True)
        run_memory_mb = serializers.IntegerField(allow_null=True)
        effective = RunLimitsSerializer()

    def _body(self, assignment: Assignment) -> dict[str, Any]:
        return {
            "grade_metric": assignment.grade_metric,
            "reuse_results": assignment.reuse_results,
            "run_timeout_seconds": assignment.run_timeout_seconds,
            "run_memory_mb": assignment.run_memory_mb,
            "effective": vars(selectors.assignment_run_limits(assignment)),
        }

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        assignment, _access = selectors.assignment_get_for_user(actor_of(request), pk)
        return Response(self._body(assignment))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def put(self, request: Request, pk: int) -> Response:
        user = actor_of(request)
        assignment, access = selectors.assignment_get_for_user(user, pk)
        if not access.manages:
            raise NotAllowed("Only an instructor of this course can change its assignments.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_settings_set(actor=user, assignment=assignment, **data.validated_data)
        return Response(self._body(assignment))


class CourseGradebookApi(APIView):
    """Students × assignments: per cell the assignment's grade metric from the student's latest successful
    run, its state (counted, late, no_success, missing, not_started) and the run it links to. For those
    who oversee the course (its instructors, its institution's admins, administrators); 404 for others.
    Students come in pages (`page`, `page_size`, with `count`, `next` and `previous` as in every list)."""

    permission_classes = [IsAuthenticated]

    class AssignmentSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        due_at = serializers.DateTimeField(allow_null=True)
        metric = serializers.CharField(help_text="The grade metric; empty while no run reports one.")

    class CellSerializer(serializers.Serializer):
        assignment = serializers.IntegerField()
        value = serializers.JSONField(allow_null=True)
        state = serializers.ChoiceField(choices=["counted", "late", "no_success", "missing", "not_started"])
        run = serializers.IntegerField(allow_null=True)
        runs = serializers.IntegerField()

    class StudentSerializer(serializers.Serializer):
        username = serializers.CharField()
        name = serializers.CharField()
        cells = serializers.ListField(child=serializers.DictField())

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField(help_text="Students in the course.")
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        assignments = serializers.ListField(child=serializers.DictField())
        students = serializers.ListField(child=serializers.DictField(), help_text="This page of students.")

    @extend_schema(
        responses={200: OutputSerializer},
        parameters=[
            OpenApiParameter("page", int, description="A page number within the students."),
            OpenApiParameter("page_size", int, description="Students per page (at most 200)."),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        course, access = selectors.course_get_for_user(actor_of(request), pk)
        if not access.oversees:
            raise NotFound("No such course.")
        pages = ListPage()
        students_page = pages.paginate_queryset(selectors.course_students(course), request) or []
        book = selectors.course_gradebook(course, list(students_page))
        assignments = [
            {"id": a.pk, "title": a.title, "due_at": a.due_at, "metric": metric}
            for a, metric in zip(book.assignments, book.metrics, strict=True)
        ]
        cell_out = self.CellSerializer()  # one for every cell: a serializer per student copied its fields 50 times
        students = [
            {
                "username": student.username,
                "name": str(student),
                "cells": [
                    cell_out.to_representation(
                        {
                            "assignment": cell.assignment.pk,
                            "value": cell.value,
                            "state": cell.state,
                            "run": cell.run.pk if cell.run else None,
                            "runs": cell.row.runs,
                        }
                    )
                    for cell in cells
                ],
            }
            for student, cells in zip(book.students, book.cells, strict=True)
        ]
        body = {
            "count": pages.page.paginator.count if pages.page else 0,
            "next": pages.get_next_link(),
            "previous": pages.get_previous_link(),
            "assignments": self.AssignmentSerializer(assignments, many=True).data,
            "students": self.StudentSerializer(students, many=True).data,
        }
        return Response(body)
