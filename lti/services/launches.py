"""Accepting a launch the library validated: sign the person in, enrol them, find where they land.

The caller (lti.views.launch) has checked signature, audience, issuer, deployment, nonce, expiry and
claims; this module consumes the nonce (so the id_token cannot be replayed) and changes rows, all in one
transaction, so a refused launch creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse

from accounts.audit import audit_log_record
from accounts.errors import ApplicationError, NotAllowed, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role
from accounts.services import role_grant
from courses.models import Assignment, Course, Enrolment
from courses.services import course_enrol_from_lms
from lti import claims
from lti.launch_store import nonce_consume
from lti.models import ContextBinding, Platform, ResourceLink


class LaunchRefused(ApplicationError):
    """A launch the portal will not accept; `code` picks the sentence of the refusal page."""


@dataclass
class Landing:
    user: User
    url: str
    # What the next pages need from the launch (kept in the person's session): a context to bind, deep linking.
    pending: dict[str, Any] = field(default_factory=dict)
    roster_context_id: int | None = None


def _endpoints(body: dict[str, Any]) -> dict[str, Any]:
    ags = body.get(claims.AGS_ENDPOINT) or {}
    nrps = body.get(claims.NRPS) or {}
    return {
        "memberships_url": str(nrps.get("context_memberships_url") or "")[:500],
        "lineitems_url": str(ags.get("lineitems") or "")[:500],
        "ags_scopes": [str(scope) for scope in ags.get("scope") or []],
    }


def _pending(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    context = body[claims.CONTEXT]
    return {
        "platform": platform.pk,
        "context_id": str(context["id"]),
        "context_title": str(context.get("title") or context.get("label") or "")[:200],
        "context_label": str(context.get("label") or "")[:40],
        "deployment_id": str(body[claims.DEPLOYMENT_ID]),
        "message_type": body[claims.MESSAGE_TYPE],
        "resource_link_id": str((body.get(claims.RESOURCE_LINK) or {}).get("id") or ""),
        "lineitem_url": str((body.get(claims.AGS_ENDPOINT) or {}).get("lineitem") or "")[:500],
        "custom_assignment": claims.custom(body, "assignment"),
        "deep_linking": body.get(claims.DEEP_LINKING_SETTINGS) or {},
        **_endpoints(body),
    }


def _bound_link(binding: ContextBinding, pending: dict[str, Any]) -> ResourceLink | None:
    """The resource link's assignment: bound earlier, or named by the custom parameter deep linking put on
    the link (only an assignment of this very course)."""
    link_id = pending["resource_link_id"]
    if not link_id:
        return None
    link = ResourceLink.objects.select_related("assignment").filter(context=binding, resource_link_id=link_id).first()
    if link is None:
        wanted = pending["custom_assignment"]
        assignment = Assignment.objects.filter(pk=int(wanted), course_id=binding.course_id).first() if wanted.isdigit() else None
        if assignment is None:
            return None
        link = ResourceLink.objects.create(context=binding, resource_link_id=link_id, assignment=assignment)
        audit_log_record(actor=None, action="lti.resource_link_bind", obj=link, after={"assignment": assignment.pk})
    if pending["lineitem_url"] and link.lineitem_url != pending["lineitem_url"]:
        link.lineitem_url = pending["lineitem_url"]
        link.save(update_fields=["lineitem_url", "updated_at"])
    return link


def _refresh(binding: ContextBinding, pending: dict[str, Any]) -> None:
    changed = [name for name, value in _endpoints_of(pending).items() if value and getattr(binding, name) != value]
    for name in changed:
        setattr(binding, name, pending[name])
    if changed:
        binding.save(update_fields=[*changed, "updated_at"])


def _endpoints_of(pending: dict[str, Any]) -> dict[str, Any]:
    return {name: pending[name] for name in ("memberships_url", "lineitems_url", "ags_scopes", "deployment_id")}


def launch_accept(*, platform: Platform, body: dict[str, Any]) -> Landing:
    """Signs in whoever the validated `body` names (created on first launch), enrols them in the bound course
    in their LMS role and says where they land: the bound assignment, the course, the page that binds an
    unbound LMS course (instructors), or the deep-linking picker."""
    from lti.services.identities import identity_user

    instructor = claims.is_instructor(body)
    pending = _pending(platform, body)
    deep_linking = pending["message_type"] == claims.DEEP_LINKING_REQUEST
    if deep_linking and not instructor:
        raise LaunchRefused("Only an instructor can add content from the LMS.", code="lti_not_instructor")
    if deep_linking and not pending["deep_linking"].get("deep_link_return_url"):
        raise LaunchRefused("The deep-linking request has no return URL.", code="lti_missing_claims")
    with transaction.atomic():
        if not nonce_consume(str(body["nonce"])):
            raise LaunchRefused("This launch was already used.", code="lti_replayed")
        binding = (
            ContextBinding.objects.select_related("course").filter(platform=platform, context_id=pending["context_id"]).first()
        )
        if binding is None and not instructor:
            raise LaunchRefused("Your instructor has not connected this LMS course to the portal yet.", code="lti_unbound")
        user = identity_user(
            platform=platform, sub=str(body["sub"]), name=str(body.get("name") or ""), email=str(body.get("email") or "")
        )
        role = Enrolment.Role.INSTRUCTOR if instructor else Enrolment.Role.STUDENT
        audit_log_record(
            actor=user,
            action="lti.launch",
            obj=platform,
            after={"context": pending["context_id"], "type": pending["message_type"], "role": role},
        )
        if binding is None:
            # The LMS vouches that they teach: they may create the portal course for it (at the platform's
            # institution, of which identity_user made them a member).
            if not user_has_role(user, Role.INSTRUCTOR):
                role_grant(actor=None, user=user, role=Role.INSTRUCTOR)
            return Landing(user=user, url=reverse("lti:bind"), pending=pending)
        _refresh(binding, pending)
        course_enrol_from_lms(course=binding.course, user=user, role=role)
        roster = binding.pk if instructor and binding.memberships_url else None
        if deep_linking:
            return Landing(
                user=user, url=reverse("lti:deep_link"), pending={**pending, "binding": binding.pk}, roster_context_id=roster
            )
        link = _bound_link(binding, pending)
        url = (
            reverse("courses:assignment", args=[link.assignment_id])
            if link
            else reverse("courses:course", args=[binding.course_id])
        )
        return Landing(user=user, url=url, roster_context_id=roster)


def context_bind(*, actor: User, platform_id: int, pending: dict[str, Any], course: Course) -> ContextBinding:
    """An instructor binds the LMS course they launched from to a portal course they teach; logged."""
    from courses.selectors import course_access

    access = course_access(actor, course)
    if access is None or not access.manages:
        raise NotAllowed("Only an instructor of this course can connect it.")
    with transaction.atomic():
        binding, created = ContextBinding.objects.get_or_create(
            platform_id=platform_id,
            context_id=pending["context_id"],
            defaults={"course": course, "title": pending["context_title"], **_endpoints_of(pending)},
        )
        if not created:
            raise WrongState("This LMS course is already connected.", code="already_bound")
        audit_log_record(
            actor=actor, action="lti.context_bind", obj=binding, after={"course": course.pk, "context": binding.context_id}
        )
    return binding
