"""Reads of the LMS link."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from accounts.errors import NotFound
from courses.models import Course
from courses.selectors import course_access
from lti.models import ContextBinding, GradeSend, Platform
from lti.services.platforms import public_jwk


def public_keys() -> list[dict[str, Any]]:
    return [public_jwk(platform) for platform in Platform.objects.order_by("id")]


def tool_urls(request: HttpRequest) -> dict[str, str]:
    """The values an LMS administrator enters, absolute, as this request reached the portal."""
    absolute = request.build_absolute_uri
    return {
        "login": absolute(reverse("lti:login")),
        "launch": absolute(reverse("lti:launch")),
        "deep_link": absolute(reverse("lti:deep_link_launch")),
        "jwks": absolute(reverse("lti:jwks")),
        "domain": request.get_host(),
    }


def platform_list() -> QuerySet[Platform]:
    return Platform.objects.select_related("institution").order_by("name", "id")


def binding_for_pending(pending: dict[str, Any] | None) -> ContextBinding | None:
    if not pending or "binding" not in pending:
        return None
    return ContextBinding.objects.select_related("platform", "course").filter(pk=pending["binding"]).first()


def bindings_of(course: Course) -> QuerySet[ContextBinding]:
    return course.lms_contexts.select_related("platform").order_by("id")


def grade_sends_of(course: Course, limit: int = 50) -> QuerySet[GradeSend]:
    return (
        GradeSend.objects.filter(link__assignment__course=course)
        .select_related("link__assignment", "identity__user")
        .order_by("-created_at", "-id")[:limit]
    )


def binding_get_for_user(user: Any, pk: int) -> ContextBinding:
    binding = ContextBinding.objects.select_related("platform", "course").filter(pk=pk).first()
    access = course_access(user, binding.course) if binding is not None else None
    if binding is None or access is None or not access.oversees:
        raise NotFound("No such LMS course.")
    return binding
