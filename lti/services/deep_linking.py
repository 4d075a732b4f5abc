"""Deep Linking: an instructor picks a catalogue notebook inside the LMS; it becomes an assignment of the
bound course and goes back to the LMS as a signed LtiDeepLinkingResponse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource

from accounts.audit import audit_log_record
from accounts.models import User
from courses.models import Assignment
from courses.services import assignment_create
from lti.models import ContextBinding
from lti.tool_conf import registration_of
from notebooks.models import Notebook


@dataclass
class DeepLinkReply:
    assignment: Assignment
    return_url: str
    jwt: str


def deep_link_assignment(
    *, actor: User, binding: ContextBinding, pending: dict[str, Any], notebook: Notebook, title: str, launch_url: str
) -> DeepLinkReply:
    """Creates the assignment through the courses service (which checks the actor teaches the course) and
    signs the content item: an LTI resource link to `launch_url` whose custom parameter names the
    assignment, with a 0–1 grade column the LMS creates."""
    settings_claim = pending["deep_linking"]
    with transaction.atomic():
        assignment = assignment_create(actor=actor, course=binding.course, notebook=notebook, title=title)
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(assignment.title)
            .set_custom_params({"assignment": str(assignment.pk)})
            .set_lineitem(_lineitem(assignment))
        )
        jwt = DeepLink(registration_of(binding.platform), pending["deployment_id"], settings_claim).get_response_jwt([resource])
        audit_log_record(actor=actor, action="lti.deep_link", obj=assignment, after={"context": binding.context_id})
    return DeepLinkReply(assignment=assignment, return_url=settings_claim["deep_link_return_url"], jwt=jwt)


def _lineitem(assignment: Assignment) -> Any:
    from pylti1p3.lineitem import LineItem

    return LineItem().set_label(assignment.title).set_score_maximum(1).set_resource_id(str(assignment.pk))
