"""Toolchain API: benchmarks, their runs and results, regressions.

Any signed-in member reads; toolchain maintainers and administrators register and run benchmarks.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.models import Role
from accounts.pagination import ListPage, page_response
from accounts.permissions import HasRole
from notebooks.api_fields import MetricsField, ParameterValuesField
from notebooks.selectors import notebook_get
from toolchain import selectors, services
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun

IsMaintainer = HasRole.of(Role.TOOLCHAIN_MAINTAINER, Role.ADMINISTRATOR)


class MemberReadMaintainerWrite(APIView):
    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [IsMaintainer()]


class BenchmarkSerializer(serializers.ModelSerializer[Benchmark]):
    notebook = serializers.CharField(source="notebook.slug")
    created_by = serializers.CharField(source="created_by.username")
    parameters = ParameterValuesField(read_only=True)

    class Meta:
        model = Benchmark
        fields = ["slug", "title", "notebook", "parameters", "queue", "metric_key", "higher_is_better",
                  "regression_threshold_percent", "created_by", "created_at"]  # fmt: skip


class ResultSerializer(serializers.ModelSerializer[BenchmarkResult]):
    benchmark = serializers.CharField(source="benchmark.slug")
    run = serializers.IntegerField(source="run_id", allow_null=True)
    metrics = MetricsField(read_only=True)
    toolchain = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = BenchmarkResult
        fields = ["id", "benchmark", "run", "runner_host", "runner_class", "cpus", "memory_mb", "gpu_name", "toolchain",
                  "metrics", "value", "baseline_median", "change_percent", "is_regression", "recorded_at"]  # fmt: skip


class BenchmarkRunSerializer(serializers.ModelSerializer[BenchmarkRun]):
    benchmark = serializers.CharField(source="benchmark.slug")
    run = serializers.IntegerField(source="run_id")
    status = serializers.CharField(source="run.status")
    started_by = serializers.CharField(source="started_by.username")

    class Meta:
        model = BenchmarkRun
        fields = ["id", "benchmark", "run", "status", "started_by", "created_at"]


class BenchmarkListApi(MemberReadMaintainerWrite):
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        slug = serializers.SlugField(max_length=100)
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        notebook = serializers.SlugField()
        parameters = ParameterValuesField(required=False, default=dict)
        metric_key = serializers.CharField(max_length=100)
        higher_is_better = serializers.BooleanField(default=True)
        queue = serializers.ChoiceField(choices=Benchmark.Queue.choices, required=False, help_text="Default: the notebook's.")
        regression_threshold_percent = serializers.FloatField(required=False, allow_null=True, default=None)

    @extend_schema(responses={200: BenchmarkSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return page_response(request, selectors.benchmark_list(), lambda page: BenchmarkSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: BenchmarkSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["notebook"] = notebook_get(values["notebook"])
        benchmark = services.benchmark_create(actor=actor_of(request), **values)
        return Response(BenchmarkSerializer(benchmark).data, status=status.HTTP_201_CREATED)


class BenchmarkDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: BenchmarkSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(BenchmarkSerializer(selectors.benchmark_get(slug)).data)


class BenchmarkRunListApi(MemberReadMaintainerWrite):
    """GET the benchmark's runs; POST starts one (a notebook run with the benchmark's fixed parameters)."""

    pagination_class = ListPage

    @extend_schema(responses={200: BenchmarkRunSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        benchmark = selectors.benchmark_get(slug)
        runs = selectors.benchmark_runs(benchmark)
        return page_response(request, runs, lambda page: BenchmarkRunSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: BenchmarkRunSerializer})
    def post(self, request: Request, slug: str) -> Response:
        link = services.benchmark_run_start(actor=actor_of(request), benchmark=selectors.benchmark_get(slug))
        return Response(BenchmarkRunSerializer(link).data, status=status.HTTP_201_CREATED)


class BenchmarkResultListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    @extend_schema(responses={200: ResultSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        benchmark = selectors.benchmark_get(slug)
        results = selectors.benchmark_results(benchmark).select_related("benchmark")
        return page_response(request, results, lambda page: ResultSerializer(page, many=True).data)


class RegressionListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    @extend_schema(responses={200: ResultSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return page_response(request, selectors.regression_list(), lambda page: ResultSerializer(page, many=True).data)
