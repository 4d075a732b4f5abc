"""The lab's buttons and panels on other apps' pages: `{% load labs %}` then one tag; each renders nothing
when the portal has no Hub (HUB_URL empty), so the pages need not know whether it has one."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from accounts.selectors import user_has_role
from labs.selectors import course_running_labs
from labs.services import LAB_ROLES

register = template.Library()


@register.inclusion_tag("labs/_open_notebook.html", takes_context=True)
def lab_open_notebook(context: dict[str, Any], notebook: Any) -> dict[str, Any]:
    user = context["request"].user
    shown = bool(settings.HUB_URL) and user.is_authenticated and user_has_role(user, *LAB_ROLES)
    return {"shown": shown, "notebook": notebook, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("labs/_assignment_lab.html", takes_context=True)
def lab_assignment(context: dict[str, Any], assignment: Any, access: Any) -> dict[str, Any]:
    return {"shown": bool(settings.HUB_URL), "assignment": assignment, "access": access, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("labs/_running_labs.html")
def lab_running(course: Any) -> dict[str, Any]:
    return {"shown": bool(settings.HUB_URL), "labs": course_running_labs(course) if settings.HUB_URL else None}
