"""Registering an LMS: the administrator enters what the LMS shows; the portal makes the platform's key pair."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from jwcrypto.jwk import JWK

from accounts.audit import audit_log_record, refusal_logged, snapshot
from accounts.errors import ApplicationError
from accounts.models import User
from courses.selectors import is_portal_admin
from lti.models import Platform

_PLATFORM_FIELDS = (
    "name",
    "institution",
    "issuer",
    "client_id",
    "auth_login_url",
    "auth_token_url",
    "auth_audience",
    "keyset_url",
    "deployment_ids",
)


def key_pair() -> tuple[str, str, str]:
    """A fresh RSA key pair as (private PEM, public PEM, key id: the JWK thumbprint)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )
    return private_pem, public_pem, JWK.from_pem(public_pem.encode()).thumbprint()


def public_jwk(platform: Platform) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(JWK.from_pem(platform.public_key_pem.encode()).export_public())
    return {**jwk, "kid": platform.key_id, "alg": "RS256", "use": "sig"}


def _checked_deployments(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApplicationError("List the deployment ids.", fields={"deployment_ids": ["A list of ids."]})
    ids = [item.strip() for item in value if item.strip()]
    if not ids:
        raise ApplicationError("Name at least one deployment id.", fields={"deployment_ids": ["At least one."]})
    return ids


@transaction.atomic
def platform_save(*, actor: User, platform: Platform) -> Platform:
    """Registers a new platform (generating its key pair) or saves an administrator's edit of one; logged.
    `platform` comes from the admin's validated form."""
    if not (actor.is_superuser or is_portal_admin(actor)):
        raise refusal_logged(actor=actor, action="lti.platform_save", obj=platform, reason="Only an administrator can do this.")
    platform.deployment_ids = _checked_deployments(platform.deployment_ids)
    before = None
    if platform.pk is None:
        platform.private_key_pem, platform.public_key_pem, platform.key_id = key_pair()
    else:
        before = snapshot(Platform.objects.get(pk=platform.pk), _PLATFORM_FIELDS)
    platform.save()
    audit_log_record(
        actor=actor,
        action="lti.platform_register" if before is None else "lti.platform_change",
        obj=platform,
        before=before,
        after=snapshot(platform, _PLATFORM_FIELDS),
    )
    return platform


@transaction.atomic
def platform_delete(*, actor: User, platform: Platform) -> None:
    if not (actor.is_superuser or is_portal_admin(actor)):
        raise refusal_logged(actor=actor, action="lti.platform_delete", obj=platform, reason="Only an administrator can do this.")
    audit_log_record(actor=actor, action="lti.platform_delete", obj=platform, before=snapshot(platform, _PLATFORM_FIELDS))
    platform.delete()
