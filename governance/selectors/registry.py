"""Registry reads."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.errors import NotFound
from governance.models import CommunityModel, ModelVersion


def model_list(*, search: str = "") -> QuerySet[CommunityModel]:
    models = CommunityModel.objects.select_related("current_version").order_by("slug")
    if search:
        models = models.filter(slug__icontains=search) | models.filter(name__icontains=search)
    return models


def model_get(slug: str) -> CommunityModel:
    """Models are public: anyone may read a model, its versions and its card."""
    model = CommunityModel.objects.select_related("current_version").prefetch_related("owners").filter(slug=slug).first()
    if model is None:
        raise NotFound("No such model.")
    return model


def model_versions(model: CommunityModel) -> QuerySet[ModelVersion]:
    return model.versions.select_related("created_by").order_by("-number")


def version_get(model: CommunityModel, number: int) -> ModelVersion:
    version = model.versions.filter(number=number).first()
    if version is None:
        raise NotFound("No such version.")
    return version
