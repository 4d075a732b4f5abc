"""Sponsorship: pages (urlpatterns, under the governance namespace) and API routes (api_urlpatterns, under /api/v1/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
api_urlpatterns: list[URLPattern] = []
