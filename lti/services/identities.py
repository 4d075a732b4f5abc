"""Who a platform's person is in the portal: found by (issuer, sub), created on first sight, never matched
by e-mail (an LMS's e-mail is not proof of owning the portal account that has it)."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from accounts.audit import audit_log_record
from accounts.models import User
from accounts.services import user_create
from courses.services import institution_member_add
from lti.models import LtiIdentity, Platform


def _username_for(name: str, sub: str) -> str:
    base = re.sub(r"[^a-zA-Z0-9._-]", "", name.replace(" ", ".").lower())[:60] or "lms"
    base = f"{base}-{re.sub(r'[^a-zA-Z0-9]', '', sub)[-6:] or 'x'}"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def identity_user(*, platform: Platform, sub: str, name: str = "", email: str = "") -> User:
    """The portal user of (issuer, sub), created (without a password: they sign in through the LMS) and
    made a member of the platform's institution on first sight."""
    found = LtiIdentity.objects.select_related("user").filter(issuer=platform.issuer, sub=sub).first()
    if found is not None:
        return found.user
    try:
        with transaction.atomic():
            name = (name or "").strip()[:150]
            # Only the login name; the LMS's e-mail is kept for messages but never used to find anyone.
            user = user_create(
                actor=None, username=_username_for(name, sub), email=(email or "")[:254], password=None, display_name=name
            )
            identity = LtiIdentity.objects.create(platform=platform, issuer=platform.issuer, sub=sub, user=user)
            institution_member_add(actor=None, institution=platform.institution, user=user)
            audit_log_record(
                actor=None, action="lti.identity_create", obj=identity, after={"platform": platform.pk, "user": user.pk}
            )
    except IntegrityError:  # the same person's second launch raced the first
        return LtiIdentity.objects.select_related("user").get(issuer=platform.issuer, sub=sub).user
    return user
