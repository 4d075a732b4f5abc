"""Benchmarks: registration (validated like a run), runs through the engine, results from the run-end hook,
regressions against the median of the previous results on the same runner class."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from notebooks.models import Run, Runner
from tests.conftest import assert_error, audit_actions
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun
from toolchain.services import benchmark_result_record, benchmark_run_finished, regression_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def maintainer(make_user):
    return make_user(Role.TOOLCHAIN_MAINTAINER)


@pytest.fixture
def benchmark(api, maintainer, catalogue):
    response = api(maintainer).post(
        "/api/v1/benchmarks/",
        {"slug": "short-loss", "notebook": "short", "parameters": {"steps": 3}, "metric_key": "loss", "higher_is_better": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Benchmark.objects.get(slug="short-loss")


def test_registration_fills_defaults_from_settings(benchmark, settings):
    assert benchmark.regression_threshold_percent == settings.BENCHMARK_REGRESSION_THRESHOLD_PERCENT
    assert benchmark.parameters["steps"] == 3
    assert "benchmark.create" in audit_actions()


def test_bad_parameters_are_refused_like_a_run(api, maintainer, catalogue):
    response = api(maintainer).post(
        "/api/v1/benchmarks/",
        {"slug": "b", "notebook": "short", "parameters": {"steps": "many"}, "metric_key": "loss"},
        format="json",
    )

    error = assert_error(response, 400)
    assert "steps" in error["fields"]
    assert not Benchmark.objects.exists()


def test_only_maintainers_register(api, make_user, catalogue):
    response = api(make_user(Role.CURATOR)).post(
        "/api/v1/benchmarks/", {"slug": "b", "notebook": "short", "metric_key": "x"}, format="json"
    )
    assert_error(response, 403)


def test_running_a_benchmark_queues_a_notebook_run(api, maintainer, benchmark, monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)

    response = api(maintainer).post("/api/v1/benchmarks/short-loss/runs/")

    assert response.status_code == 201, response.content
    run = Run.objects.get(pk=response.json()["run"])
    assert run.parameters["steps"] == 3
    assert run.notebook.slug == "short"


def _finish(benchmark, owner, *, loss, runner, when):
    run = Run.objects.create(
        notebook=benchmark.notebook, version=benchmark.notebook.current_version, owner=owner, parameters=benchmark.parameters,
        timeout_seconds=60, memory_limit_mb=512, status=Run.Status.SUCCEEDED, metrics={"loss": loss, "accuracy": 0.9},
        runner=runner, runner_host=runner.host, finished_at=when,
    )  # fmt: skip
    BenchmarkRun.objects.create(benchmark=benchmark, run=run, started_by=owner)
    benchmark_run_finished(run.pk)
    return run


def test_hook_records_hardware_toolchain_and_flags_a_regression(benchmark, maintainer):
    now = timezone.now()
    runner = Runner.objects.create(
        hostname="runner-cpu@h1", host="h1", queues=["notebooks-cpu"], cpus=8, memory_mb=32000, toolchain={"python": "3.11.9", "torch": "2.4.1"},
        started_at=now, last_heartbeat=now,
    )  # fmt: skip
    for index, loss in enumerate([1.00, 1.02, 0.98, 1.01, 0.99]):
        _finish(benchmark, maintainer, loss=loss, runner=runner, when=now - timedelta(days=10 - index))

    slow = _finish(benchmark, maintainer, loss=1.20, runner=runner, when=now)

    result = BenchmarkResult.objects.get(run=slow)
    assert (result.cpus, result.memory_mb, result.runner_class) == (8, 32000, "cpu · 8 cores")
    assert result.toolchain == {"python": "3.11.9", "torch": "2.4.1"}
    assert result.baseline_median == pytest.approx(1.00)
    assert result.change_percent == pytest.approx(20.0)
    assert result.is_regression
    assert BenchmarkResult.objects.filter(is_regression=True).count() == 1
    # The hook is called once per run end, but a second call must not record twice.
    benchmark_run_finished(slow.pk)
    assert BenchmarkResult.objects.filter(run=slow).count() == 1


def test_results_compare_only_within_a_runner_class(benchmark):
    now = timezone.now()
    common = {"metrics": {}, "runner_host": "h", "memory_mb": 1, "toolchain": {}}
    for day in range(5):
        benchmark_result_record(
            benchmark=benchmark, value=1.0, queue="cpu", cpus=8, gpu_name="", recorded_at=now - timedelta(days=9 - day), **common
        )

    on_gpu = benchmark_result_record(
        benchmark=benchmark, value=5.0, queue="gpu", cpus=8, gpu_name="NVIDIA H100", recorded_at=now, **common
    )

    assert on_gpu.baseline_median is None
    assert not on_gpu.is_regression


@pytest.mark.parametrize(
    ("value", "previous", "higher", "expected"),
    [
        (0.80, [0.90, 0.91, 0.89, 0.90, 0.92], True, True),  # accuracy fell 11 %
        (0.85, [0.90, 0.91, 0.89, 0.90, 0.92], True, False),  # fell 5.6 %: within 10 %
        (1.20, [1.0, 1.0, 1.0], False, True),  # loss rose 20 %
        (0.50, [1.0, 1.0, 1.0], False, False),  # loss fell: an improvement
        (9.00, [1.0, 1.0], False, False),  # too little history for a baseline
    ],
)
def test_regression_check(value, previous, higher, expected):
    verdict = regression_check(value, previous, higher_is_better=higher, threshold_percent=10, min_results=3)
    assert verdict.is_regression is expected


def test_benchmark_page_draws_the_chart_with_the_regression_marked(benchmark, browser_client, make_user):
    now = timezone.now()
    common = {"metrics": {}, "runner_host": "h", "memory_mb": 1, "toolchain": {}, "queue": "cpu", "cpus": 8, "gpu_name": ""}
    for day, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.5]):
        benchmark_result_record(benchmark=benchmark, value=loss, recorded_at=now - timedelta(days=5 - day), **common)

    page = browser_client(make_user(Role.STUDENT)).get("/toolchain/benchmarks/short-loss/")
    home = browser_client(make_user(Role.TOOLCHAIN_MAINTAINER)).get("/toolchain/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and html.count(" data-regression>") == 1 and html.count("data-regression-row") == 1
    assert "style=" not in html
    assert home.status_code == 200 and "short-loss" in home.content.decode()
