"""Sponsorship reads."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.errors import NotFound
from governance.models import Allocation, Quarter


def quarter_list() -> QuerySet[Quarter]:
    """Quarters for lists, without their manifests (a sealed one lists every model: `quarter_get` has it)."""
    return Quarter.objects.select_related("computed_by", "frozen_by").defer("manifest").order_by("-label")


def quarter_get(label: str) -> Quarter:
    quarter = Quarter.objects.select_related("computed_by", "frozen_by").filter(label=str(label).upper()).first()
    if quarter is None:
        raise NotFound(f"No quarter {label}.")
    return quarter


def quarter_allocations(quarter: Quarter) -> QuerySet[Allocation]:
    return quarter.allocations.select_related("version").order_by("model_slug")
