"""Registry writes: community models, their versions (each with a validated evaluation package), conflicts."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.audit import audit_log_record, refusal_logged
from accounts.errors import ApplicationError, NotAllowed, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role
from governance.models import CommunityModel, ConflictOfInterest, ModelVersion
from governance.packages import Package

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$")
LICENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,59}$")
MODEL_CARD_MAX = 200_000


def _check_version_fields(*, version: str, licence: str, model_card: str) -> None:
    errors: dict[str, list[str]] = {}
    if not VERSION.match(version):
        errors["version"] = ["Letters, digits, dots, plus and minus; up to 40 characters (e.g. 1.2.0)."]
    if not LICENCE.match(licence):
        errors["licence"] = ["An SPDX licence identifier, e.g. Apache-2.0 or CC-BY-4.0."]
    if len(model_card) > MODEL_CARD_MAX:
        errors["model_card"] = [f"At most {MODEL_CARD_MAX:,} characters."]
    if errors:
        raise ApplicationError("Check the version's fields.", fields=errors)


def _store_version(
    *, actor: User, model: CommunityModel, version: str, licence: str, model_card: str, package: Package
) -> ModelVersion:
    number = (model.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    record = ModelVersion(
        model=model,
        number=number,
        version=version,
        licence=licence,
        model_card=model_card,
        metadata=package.metadata,
        onnx_sha256=package.onnx_sha256,
        onnx_bytes=len(package.onnx_bytes),
        opset=package.opset,
        eval_samples=package.eval_samples,
        created_by=actor,
    )
    record.onnx_file.save("model.onnx", ContentFile(package.onnx_bytes), save=False)
    record.eval_file.save("eval.npz", ContentFile(package.eval_bytes), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as error:
        record.onnx_file.delete(save=False)
        record.eval_file.delete(save=False)
        raise WrongState(f"{model.slug} already has a version {version}.", code="version_exists") from error
    return record


@transaction.atomic
def model_create(
    *, actor: User, slug: str, name: str, summary: str, version: str, licence: str, model_card: str, package: Package
) -> CommunityModel:
    """Registers a model with its first version; the actor becomes its owner. Any role may register."""
    if not (user_has_role(actor, *Role.values) or actor.is_staff):
        raise NotAllowed("Registering a model needs a role in the community: apply for one first.", code="no_role")
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise ApplicationError("Invalid slug.", fields={"slug": ["Lower-case letters, digits and hyphens, 1–80 characters."]})
    if not name.strip() or len(name) > 200:
        raise ApplicationError("Invalid name.", fields={"name": ["Between 1 and 200 characters."]})
    if len(summary) > 300:
        raise ApplicationError("Invalid summary.", fields={"summary": ["At most 300 characters."]})
    _check_version_fields(version=version, licence=licence, model_card=model_card)
    if CommunityModel.objects.filter(slug=slug).exists():
        raise WrongState(f"A model called {slug} exists already.", code="slug_taken")
    model = CommunityModel.objects.create(slug=slug, name=name.strip(), summary=summary.strip(), created_by=actor)
    model.owners.add(actor)
    record = _store_version(actor=actor, model=model, version=version, licence=licence, model_card=model_card, package=package)
    model.current_version = record
    model.save(update_fields=["current_version", "updated_at"])
    audit_log_record(
        actor=actor,
        action="model.create",
        obj=model,
        after={"slug": slug, "version": version, "licence": licence, "onnx_sha256": record.onnx_sha256},
    )
    return model


def require_owner(*, actor: User, model: CommunityModel, action: str) -> None:
    """Owners (and administrators) change a model; anyone else is refused, and the refusal is logged."""
    if not model.owners.filter(pk=actor.pk).exists() and not user_has_role(actor, Role.ADMINISTRATOR):
        raise refusal_logged(actor=actor, action=action, obj=model, reason="Only an owner of the model may do this.")


def model_version_create(
    *, actor: User, model: CommunityModel, version: str, licence: str, model_card: str, package: Package
) -> ModelVersion:
    """Adds a version and makes it current. Certification does not carry over: the old one ends now."""
    from governance.services.health import certification_end_for_model

    require_owner(actor=actor, model=model, action="model.version_create")
    _check_version_fields(version=version, licence=licence, model_card=model_card)
    with transaction.atomic():
        locked = CommunityModel.objects.select_for_update().get(pk=model.pk)
        previous = locked.current_version_id
        record = _store_version(
            actor=actor, model=locked, version=version, licence=licence, model_card=model_card, package=package
        )
        locked.current_version = record
        locked.save(update_fields=["current_version", "updated_at"])
        certification_end_for_model(model=locked, reason=f"new version {version}")
        audit_log_record(
            actor=actor,
            action="model.version_create",
            obj=locked,
            before={"version_id": previous},
            after={"version_id": record.pk, "version": version, "onnx_sha256": record.onnx_sha256},
        )
    return record


@transaction.atomic
def model_owner_add(*, actor: User, model: CommunityModel, user: User) -> CommunityModel:
    if not model.owners.filter(pk=actor.pk).exists() and not user_has_role(actor, Role.ADMINISTRATOR):
        raise NotAllowed("Only an owner of the model may add owners.")
    model.owners.add(user)
    audit_log_record(actor=actor, action="model.owner_add", obj=model, after={"owner": user.get_username()})
    return model


@transaction.atomic
def conflict_declare(*, actor: User, model: CommunityModel, reason: str) -> ConflictOfInterest:
    """An auditor declares a conflict of interest: from now on they cannot decide this model's audits."""
    if not user_has_role(actor, Role.AUDITOR):
        raise NotAllowed("Only auditors declare conflicts of interest.")
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise ApplicationError("Say briefly why.", fields={"reason": ["Between 3 and 500 characters."]})
    conflict, created = ConflictOfInterest.objects.get_or_create(model=model, user=actor, defaults={"reason": reason})
    if not created:
        raise WrongState("You have already declared a conflict of interest for this model.", code="already_declared")
    audit_log_record(actor=actor, action="model.conflict_declare", obj=model, after={"reason": reason})
    return conflict
