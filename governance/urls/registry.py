"""Registry: pages (urlpatterns, under the governance namespace) and API routes (api_urlpatterns, under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from governance.apis import registry as apis
from governance.views import registry as views

urlpatterns = [
    path("models/", views.model_list, name="models"),
    path("models/new/", views.model_create, name="model_new"),
    path("models/<slug:slug>/", views.model_detail, name="model"),
    path("models/<slug:slug>/versions/new/", views.model_version_create, name="model_version_new"),
    path("models/<slug:slug>/conflicts/", views.conflict_declare, name="model_conflict"),
]
api_urlpatterns = [
    path("models/", apis.ModelListApi.as_view(), name="api-models"),
    path("models/<slug:slug>/", apis.ModelDetailApi.as_view(), name="api-model"),
    path("models/<slug:slug>/versions/", apis.ModelVersionCreateApi.as_view(), name="api-model-versions"),
    path("models/<slug:slug>/conflicts/", apis.ConflictApi.as_view(), name="api-model-conflicts"),
    path("models/<slug:slug>/health/", apis.ModelHealthApi.as_view(), name="api-model-health"),
    path("models/<slug:slug>/evaluations/", apis.ModelEvaluationsApi.as_view(), name="api-model-evaluations"),
    path("models/<slug:slug>/evaluation-runs/", apis.EvaluationRunsApi.as_view(), name="api-model-evaluation-runs"),
    path("evaluations/<int:pk>/review/", apis.EvaluationReviewApi.as_view(), name="api-evaluation-review"),
]
