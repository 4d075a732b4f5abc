from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import ApplicationError, TooLarge
from accounts.json_input import BoundedJSONParser
from accounts.pagination import ListPage, page_response
from notebooks import selectors, services
from notebooks.api_fields import MetricsField, ParameterValueField, ParameterValuesField
from notebooks.models import Notebook, Run


class ParameterSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["int", "float", "str", "bool", "list"])
    default = ParameterValueField()
    help = serializers.CharField(allow_blank=True)
    min = serializers.FloatField(required=False)
    max = serializers.FloatField(required=False)
    choices = serializers.ListField(child=ParameterValueField(), required=False)


class NotebookSerializer(serializers.ModelSerializer[Notebook]):
    version = serializers.CharField(source="current_version.sha256", allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Notebook
        fields = [
            "slug",
            "title_en",
            "title_zh",
            "summary_en",
            "summary_zh",
            "level",
            "kind",
            "accelerator",
            "expected_minutes",
            "licence",
            "tags",
            "version",
        ]


class NotebookDetailSerializer(NotebookSerializer):
    parameters = ParameterSerializer(source="current_version.parameters", many=True)

    class Meta(NotebookSerializer.Meta):
        fields = [*NotebookSerializer.Meta.fields, "parameters"]


class NotebookListApi(APIView):
    """The catalogue, public."""

    permission_classes = [AllowAny]
    pagination_class = ListPage

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=["course", "evaluation"], required=False)],
        responses={200: NotebookSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind and kind not in Notebook.Kind.values:
            raise ApplicationError("Unknown kind.", fields={"kind": ["Must be course or evaluation."]})
        return page_response(request, selectors.notebook_list(kind=kind), lambda page: NotebookSerializer(page, many=True).data)


class NotebookDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: NotebookDetailSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(NotebookDetailSerializer(selectors.notebook_get(slug)).data)


class NotebookCheckApi(APIView):
    """Checks a notebook against the catalogue format: metadata, parameters cell, typed parameters."""

    permission_classes = [IsAuthenticated]
    parser_classes = [BoundedJSONParser, MultiPartParser]

    class OutputSerializer(serializers.Serializer):
        slug = serializers.CharField()
        title_en = serializers.CharField()
        title_zh = serializers.CharField()
        kind = serializers.CharField()
        sha256 = serializers.CharField()
        parameters = ParameterSerializer(many=True)

    @extend_schema(
        # One declared body (generators build one request type per operation); the notebook's JSON as the whole
        # request body is accepted as well.
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={200: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.NOTEBOOK_UPLOAD_MAX_BYTES:
            raise TooLarge(f"A notebook may be at most {settings.NOTEBOOK_UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise ApplicationError("Attach the notebook as `file`.", fields={"file": ["This field is required."]})
            raw = upload.read(settings.NOTEBOOK_UPLOAD_MAX_BYTES + 1)
        else:
            raw = request.body
        entry = services.notebook_check(raw)
        return Response(self.OutputSerializer(entry).data)


class RunSerializer(serializers.ModelSerializer[Run]):
    notebook = serializers.CharField(source="notebook.slug")
    version = serializers.CharField(source="version.sha256")
    owner = serializers.CharField(source="owner.username")
    runner = serializers.CharField(source="runner_host")
    parameters = ParameterValuesField(read_only=True)
    metrics = MetricsField(read_only=True)
    elapsed_seconds = serializers.FloatField(allow_null=True)
    dispatched = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    notebook_url = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id", "notebook", "version", "owner", "status", "parameters", "queue", "attempt", "cells_done", "cells_total",
            "current_cell", "current_cell_preview", "elapsed_seconds", "queue_position", "dispatched", "cancel_requested",
            "metrics", "error", "error_cell", "runner", "gpu_name", "timeout_seconds", "memory_limit_mb", "peak_memory_mb",
            "outputs_truncated", "created_at", "started_at", "finished_at", "html_url", "notebook_url", "reused_from",
        ]  # fmt: skip

    def get_dispatched(self, run: Run) -> bool:
        return run.dispatched_at is not None

    def get_queue_position(self, run: Run) -> int | None:
        positions = self.context.get("queue_positions")
        if positions is not None:
            return positions.get(run.pk)
        return selectors.queue_position(run) if run.status == Run.Status.QUEUED else None

    def get_html_url(self, run: Run) -> str | None:
        return reverse("notebooks:run_output_html", args=[run.pk]) if run.output_html else None

    def get_notebook_url(self, run: Run) -> str | None:
        return reverse("notebooks:run_output_notebook", args=[run.pk]) if run.output_notebook else None


class RunListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        notebook = serializers.SlugField()
        parameters = ParameterValuesField(required=False, default=dict)
        queue = serializers.ChoiceField(choices=Run.Queue.choices, required=False)
        timeout_seconds = serializers.IntegerField(required=False, min_value=10)
        memory_limit_mb = serializers.IntegerField(required=False, min_value=256)
        fresh = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Execute even when a deterministic notebook has an identical earlier result to reuse.",
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Run.Status.values, required=False),
            OpenApiParameter(
                "scope",
                str,
                enum=["mine", "visible"],
                required=False,
                description="`mine` (default): your runs; `visible`: every run you may see. Newest first.",
            ),
        ],
        responses={200: RunSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        runs = selectors.run_list_for_user(actor_of(request), mine_only=request.query_params.get("scope") != "visible")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Run.Status.values:
                raise ApplicationError("Unknown status.", fields={"status": [f"One of: {', '.join(Run.Status.values)}."]})
            runs = runs.filter(status=wanted)
        return page_response(
            request,
            runs,
            lambda page: RunSerializer(page, many=True, context={"queue_positions": selectors.queue_positions(page)}).data,
        )

    @extend_schema(request=InputSerializer, responses={201: RunSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        notebook = selectors.notebook_get(values.pop("notebook"))
        fresh = values.pop("fresh")
        run = services.run_enqueue(actor=actor_of(request), notebook=notebook, reuse=not fresh, **values)
        run = selectors.run_get_for_user(actor_of(request), run.pk)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RunSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(RunSerializer(selectors.run_get_for_user(actor_of(request), pk)).data)


class RunCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        run = services.run_cancel(actor=actor_of(request), run=selectors.run_get_for_user(actor_of(request), pk))
        return Response(RunSerializer(run).data)


class RunnerSerializer(serializers.Serializer):
    hostname = serializers.CharField()
    host = serializers.CharField()
    queues = serializers.ListField(child=serializers.CharField())
    cpus = serializers.IntegerField()
    memory_mb = serializers.IntegerField()
    gpu_name = serializers.CharField()
    gpu_memory_mb = serializers.IntegerField()
    toolchain = serializers.DictField(child=serializers.CharField())
    load_1m = serializers.FloatField()
    active_runs = serializers.IntegerField()
    last_heartbeat = serializers.DateTimeField()
    online = serializers.SerializerMethodField()

    def get_online(self, runner: Any) -> bool:
        return selectors.runner_is_online(runner)


class RunnerListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    @extend_schema(responses={200: RunnerSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return page_response(request, selectors.runner_list(), lambda page: RunnerSerializer(page, many=True).data)
