"""Health: pages (urlpatterns, under the governance namespace); its API routes live with the registry's."""

from __future__ import annotations

from django.urls import URLPattern, path

from governance.views import health as views

urlpatterns = [
    path("health/", views.health_list, name="health"),
    path("health/<slug:slug>/", views.health_detail, name="model_health"),
    path("health/<slug:slug>/evaluations/", views.evaluation_submit, name="evaluation_submit"),
    path("health/<slug:slug>/evaluations/start/", views.evaluations_start, name="evaluations_start"),
    path("health/evidence/<int:pk>/", views.evaluation_evidence, name="evaluation_evidence"),
    path("badges/models/<slug:slug>.svg", views.badge, name="badge"),
]
api_urlpatterns: list[URLPattern] = []
