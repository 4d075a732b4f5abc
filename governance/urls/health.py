"""Health: pages (urlpatterns, under the governance namespace); its API routes live with the registry's."""

from __future__ import annotations

from django.urls import URLPattern, path

from governance.apis.registry import ReevaluationProgressApi
from governance.views import health as views

urlpatterns = [
    path("health/", views.health_list, name="health"),
    path("health/reevaluations/start/", views.reevaluation_start, name="reevaluation_start"),
    path("health/reevaluations/<int:pk>/", views.reevaluation_detail, name="reevaluation"),
    path("health/<slug:slug>/", views.health_detail, name="model_health"),
    path("health/<slug:slug>/evaluations/", views.evaluation_submit, name="evaluation_submit"),
    path("health/<slug:slug>/evaluations/start/", views.evaluations_start, name="evaluations_start"),
    path("health/evidence/<int:pk>/", views.evaluation_evidence, name="evaluation_evidence"),
    path("badges/models/<slug:slug>.svg", views.badge, name="badge"),
]
api_urlpatterns: list[URLPattern] = [
    path("health/reevaluations/<int:pk>/", ReevaluationProgressApi.as_view(), name="api-reevaluation"),
]
