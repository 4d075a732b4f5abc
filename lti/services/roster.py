"""The LMS course's roster (Names and Role Provisioning Services) enrolled in the bound portal course."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from accounts.audit import audit_log_record, refusal_logged
from accounts.errors import WrongState
from accounts.models import User
from courses.models import Enrolment
from courses.selectors import course_access
from courses.services import course_enrol_from_lms
from lti import claims
from lti.models import ContextBinding
from lti.services.identities import identity_user
from lti.tool_conf import registration_of


def roster_sync(*, actor: User | None, binding: ContextBinding) -> int:
    """Enrols every active member of the LMS course (created on first sight, like a launch) in their LMS
    role; nobody is removed. `actor=None`: the system, after an instructor's launch. Returns how many
    members were read."""
    if actor is not None:
        access = course_access(actor, binding.course)
        if access is None or not access.manages:
            raise refusal_logged(
                actor=actor, action="lti.roster_sync", obj=binding, reason="Only an instructor of this course can do this."
            )
    if not binding.memberships_url:
        raise WrongState("The LMS did not offer this course's roster.", code="lti_no_roster")
    service = NamesRolesProvisioningService(
        ServiceConnector(registration_of(binding.platform)),
        {"context_memberships_url": binding.memberships_url},
    )
    members = service.get_members()
    with transaction.atomic():
        for member in members:
            if member.get("status", "Active") != "Active" or not member.get("user_id"):
                continue
            user = identity_user(
                platform=binding.platform,
                sub=str(member["user_id"]),
                name=str(member.get("name") or ""),
                email=str(member.get("email") or ""),
            )
            instructor = claims.is_instructor({claims.ROLES: member.get("roles") or []})
            course_enrol_from_lms(
                course=binding.course, user=user, role=Enrolment.Role.INSTRUCTOR if instructor else Enrolment.Role.STUDENT
            )
        binding.roster_synced_at = timezone.now()
        binding.save(update_fields=["roster_synced_at", "updated_at"])
        audit_log_record(actor=actor, action="lti.roster_sync", obj=binding, after={"members": len(members)})
    return len(members)
