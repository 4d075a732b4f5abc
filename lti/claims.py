"""Reading an accepted LTI 1.3 message: the claim names, the person's role, the refusal reasons."""

from __future__ import annotations

from typing import Any

from pylti1p3.roles import TeacherRole

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
DEPLOYMENT_ID = LTI + "deployment_id"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CUSTOM = LTI + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

# Claims every launch the portal accepts must carry (the library checks the message-specific ones too).
REQUIRED = ("iss", "aud", "sub", "exp", "iat", "nonce", DEPLOYMENT_ID, MESSAGE_TYPE, ROLES, CONTEXT)


def missing_claims(body: dict[str, Any]) -> list[str]:
    missing = [name.rsplit("/", 1)[-1] for name in REQUIRED if not body.get(name)]
    # Claims of the wrong shape count as missing: the launch must not fail half-way on them.
    context = body.get(CONTEXT)
    if context and not (isinstance(context, dict) and context.get("id")):
        missing.append("context.id")
    if not isinstance(body.get(ROLES), list) and ROLES in body:
        missing.append("roles")
    for name in (CUSTOM, AGS_ENDPOINT, NRPS, DEEP_LINKING_SETTINGS, RESOURCE_LINK):
        if name in body and not isinstance(body[name], dict):
            missing.append(name.rsplit("/", 1)[-1])
    if body.get(MESSAGE_TYPE) == RESOURCE_LINK_REQUEST and not (body.get(RESOURCE_LINK) or {}).get("id"):
        missing.append("resource_link.id")
    return missing


def is_instructor(body: dict[str, Any]) -> bool:
    """Instructor (or administrator) of the LMS course; everyone else the portal treats as a learner."""
    return TeacherRole(body).check()


def custom(body: dict[str, Any], name: str) -> str:
    value = (body.get(CUSTOM) or {}).get(name, "")
    return value if isinstance(value, str) else ""
