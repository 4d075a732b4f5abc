"""Toolchain: pages (`urlpatterns`, in the governance namespace: see portal.urls) and API routes (`api_urlpatterns`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from toolchain import apis, views

urlpatterns: list[URLPattern] = [
    path("toolchain/", views.toolchain_home, name="toolchain"),
    path("toolchain/benchmarks/new/", views.benchmark_create, name="benchmark_create"),
    path("toolchain/benchmarks/<slug:slug>/", views.benchmark_detail, name="benchmark"),
    path("toolchain/benchmarks/<slug:slug>/run/", views.benchmark_run, name="benchmark_run"),
]
api_urlpatterns: list[URLPattern] = [
    path("benchmarks/", apis.BenchmarkListApi.as_view(), name="api-benchmarks"),
    path("benchmarks/<slug:slug>/", apis.BenchmarkDetailApi.as_view(), name="api-benchmark"),
    path("benchmarks/<slug:slug>/runs/", apis.BenchmarkRunListApi.as_view(), name="api-benchmark-runs"),
    path("benchmarks/<slug:slug>/results/", apis.BenchmarkResultListApi.as_view(), name="api-benchmark-results"),
    path("regressions/", apis.RegressionListApi.as_view(), name="api-regressions"),
]
