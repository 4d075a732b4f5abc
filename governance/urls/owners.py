"""Owners: the My models page, each model's certification feed, and `GET /api/v1/me/models/`."""

from __future__ import annotations

from django.urls import path

from governance.apis.owners import MyModelApi, MyModelsApi
from governance.views import owners as views

urlpatterns = [
    path("me/models/", views.my_models, name="my_models"),
    path("models/<slug:slug>/certifications.atom", views.CertificationFeed(), name="model_feed"),
]
api_urlpatterns = [
    path("me/models/", MyModelsApi.as_view(), name="api-my-models"),
    path("me/models/<slug:slug>/", MyModelApi.as_view(), name="api-my-model"),
]
