"""Writes about users and roles. Each checks permission and state and appends to the audit log.

Permission checks run before the transaction opens, so that a refusal is itself logged (the log entry of
a refused attempt must survive the error that follows it).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log_record, refusal_logged, snapshot
from accounts.errors import ApplicationError, NotAllowed, NotFound, WrongState
from accounts.models import Role, RoleApplication, RoleGrant, User
from accounts.selectors import user_has_role, user_roles

_APPLICATION_FIELDS = ("applicant", "role", "status", "decided_by", "decided_at", "decision_reason")
_GRANT_FIELDS = ("user", "role", "granted_by", "revoked_by", "revoked_at", "revoke_reason")


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ApplicationError(f"Unknown role {role!r}.", fields={"role": [f"Choose one of: {', '.join(Role.values)}."]})


def _may_approve(actor: Any, role: str) -> bool:
    """Stewards and administrators approve roles; only an administrator makes another administrator."""
    if role == Role.ADMINISTRATOR:
        return user_has_role(actor, Role.ADMINISTRATOR)
    return user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR)


def role_application_create(*, actor: User, role: str, motivation: str) -> RoleApplication:
    _check_role(role)
    motivation = motivation.strip()
    if not motivation:
        raise ApplicationError("Say briefly why you apply.", fields={"motivation": ["This field is required."]})
    if role in user_roles(actor):
        raise WrongState("You already hold this role.", code="role_held")
    with transaction.atomic():
        try:
            with transaction.atomic():
                application = RoleApplication.objects.create(applicant=actor, role=role, motivation=motivation)
        except IntegrityError:
            raise WrongState("You already have a pending application for this role.", code="application_pending") from None
        audit_log_record(
            actor=actor, action="role_application.create", obj=application, after=snapshot(application, _APPLICATION_FIELDS)
        )
    return application


def role_application_decide(*, actor: User, application_id: int, approve: bool, reason: str = "") -> RoleApplication:
    """Approves (granting the role) or rejects a pending application. Locks the application row.

    Someone who may not decide applications at all is refused (403, logged) before the id is looked up,
    so the answer does not reveal whether the application exists.
    """
    action = "role_application.approve" if approve else "role_application.reject"
    if not user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR):
        audit_log_record(
            actor=actor,
            action=f"{action}.denied",
            object_type="accounts.roleapplication",
            object_id=str(application_id),
            after={"reason": "not an approver"},
        )
        raise NotAllowed("Only a steward or an administrator may decide role applications.")
    application = RoleApplication.objects.select_related("applicant").filter(pk=application_id).first()
    if application is None:
        raise NotFound("No such role application.")
    if not _may_approve(actor, application.role):
        raise refusal_logged(
            actor=actor, action=action, obj=application, reason="Only an administrator may approve another administrator."
        )
    if application.applicant_id == actor.pk:
        raise refusal_logged(actor=actor, action=action, obj=application, reason="You cannot decide your own application.")
    with transaction.atomic():
        locked = RoleApplication.objects.select_for_update().select_related("applicant").get(pk=application.pk)
        if locked.status != RoleApplication.Status.PENDING:
            raise WrongState(f"This application is already {locked.get_status_display().lower()}.", code="already_decided")
        before = snapshot(locked, _APPLICATION_FIELDS)
        locked.status = RoleApplication.Status.APPROVED if approve else RoleApplication.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
        audit_log_record(actor=actor, action=action, obj=locked, before=before, after=snapshot(locked, _APPLICATION_FIELDS))
        if approve:
            _grant(actor=actor, user=locked.applicant, role=locked.role)
    return locked


def role_application_withdraw(*, actor: User, application: RoleApplication) -> RoleApplication:
    if application.applicant_id != actor.pk:
        raise refusal_logged(
            actor=actor, action="role_application.withdraw", obj=application, reason="Only the applicant may withdraw."
        )
    with transaction.atomic():
        locked = RoleApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status != RoleApplication.Status.PENDING:
            raise WrongState("Only a pending application can be withdrawn.", code="already_decided")
        before = snapshot(locked, _APPLICATION_FIELDS)
        locked.status = RoleApplication.Status.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        audit_log_record(
            actor=actor,
            action="role_application.withdraw",
            obj=locked,
            before=before,
            after=snapshot(locked, _APPLICATION_FIELDS),
        )
    return locked


def _grant(*, actor: User | None, user: User, role: str) -> RoleGrant:
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
    except IntegrityError:
        raise WrongState("The user already holds this role.", code="role_held") from None
    audit_log_record(actor=actor, action="role.grant", obj=grant, after=snapshot(grant, _GRANT_FIELDS))
    user.__dict__.pop("_portal_roles", None)
    return grant


def role_grant(*, actor: User | None, user: User, role: str) -> RoleGrant:
    """Grants a role directly. `actor=None` is the system (demo data, the first administrator)."""
    _check_role(role)
    if actor is not None and not _may_approve(actor, role):
        raise refusal_logged(
            actor=actor, action="role.grant", obj=user, reason="Only a steward or an administrator may grant roles."
        )
    with transaction.atomic():
        return _grant(actor=actor, user=user, role=role)


def role_revoke(*, actor: User, user: User, role: str, reason: str) -> RoleGrant:
    _check_role(role)
    if not _may_approve(actor, role):
        raise refusal_logged(
            actor=actor, action="role.revoke", obj=user, reason="Only a steward or an administrator may revoke roles."
        )
    if not reason.strip():
        raise ApplicationError("Give a reason for the revocation.", fields={"reason": ["This field is required."]})
    with transaction.atomic():
        grant = RoleGrant.objects.select_for_update().filter(user=user, role=role, revoked_at__isnull=True).first()
        if grant is None:
            raise WrongState("The user does not hold this role.", code="role_not_held")
        before = snapshot(grant, _GRANT_FIELDS)
        grant.revoked_by = actor
        grant.revoked_at = timezone.now()
        grant.revoke_reason = reason.strip()
        grant.save(update_fields=["revoked_by", "revoked_at", "revoke_reason"])
        audit_log_record(actor=actor, action="role.revoke", obj=grant, before=before, after=snapshot(grant, _GRANT_FIELDS))
    user.__dict__.pop("_portal_roles", None)
    return grant


def user_create(*, actor: User | None, username: str, email: str, password: str | None, display_name: str = "") -> User:
    """Creates an account (sign-up, demo data, CSV enrolment later). `password=None` leaves it unusable."""
    with transaction.atomic():
        user = User(username=username, email=email, display_name=display_name)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        audit_log_record(actor=actor, action="user.create", obj=user, after={"username": username, "email": email})
    return user


def user_password_reset(*, user: User, password: str) -> User:
    """Sets a password from an e-mailed reset link (the link proved the actor is `user`); works for unusable ones."""
    with transaction.atomic():
        had_password = user.has_usable_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_log_record(actor=user, action="user.password_reset", obj=user, after={"had_usable_password": had_password})
    return user


def user_language_set(*, actor: User, language: str) -> bool:
    """Remembers the language the person chose in the portal's switch, so e-mails reach them in it.

    Their own preference (like marking their inbox read): no audit-log entry. Unknown codes change nothing.
    Returns whether it changed.
    """
    from django.conf import settings

    if language not in dict(settings.LANGUAGES) or actor.language == language:
        return False
    actor.language = language
    actor.save(update_fields=["language"])
    return True


def _identity_snapshot(account: Any) -> dict[str, Any]:
    """What the audit log keeps of a linked identity: the provider and its public account id, never tokens."""
    return {"provider": account.provider, "uid": account.uid, "login": account.extra_data.get("login", "")}


def social_identity_added(*, actor: User, account: Any, signed_up: bool) -> None:
    """Records that `account` (an allauth SocialAccount) now signs `actor` in.

    django-allauth writes the row while it completes the provider's callback (a sign-up or a confirmed link);
    its signals call this in the same request, so every identity that can sign someone in is in the log.
    """
    action = "user.identity_signup" if signed_up else "user.identity_link"
    audit_log_record(actor=actor, action=action, obj=actor, after=_identity_snapshot(account))


def social_identity_link(*, actor: User, request: Any, sociallogin: Any) -> None:
    """Links a pending identity (an allauth SocialLogin) to the signed-in actor, who confirmed it.

    An identity that meanwhile signs in another account is refused (409): one identity, one account. allauth's
    `social_account_added` signal writes the audit entry (`social_identity_added`).
    """
    from allauth.socialaccount.models import SocialAccount

    account = sociallogin.account
    if SocialAccount.objects.filter(provider=account.provider, uid=account.uid).exists():
        raise WrongState(_("This identity already signs in another account."))
    with transaction.atomic():
        sociallogin.connect(request, actor)


def social_identity_remove(*, actor: User, account_id: int) -> None:
    """Unlinks one of the actor's own identities (GitHub, a university).

    Someone else's identity is a 404. The last way to sign in cannot go: an account without a usable password
    and with this one identity would be locked out, so that is refused (409) and the refusal is logged.
    """
    from allauth.socialaccount.models import SocialAccount

    account = SocialAccount.objects.filter(pk=account_id, user=actor).first()
    if account is None:
        raise NotFound(_("No such sign-in method."))
    others = SocialAccount.objects.filter(user=actor).exclude(pk=account.pk)
    if not actor.has_usable_password() and not others.exists():
        audit_log_record(actor=actor, action="user.identity_unlink.denied", obj=actor, after={"reason": "last sign-in method"})
        raise WrongState(_("This is your only way to sign in. Set a password or link another identity before removing it."))
    with transaction.atomic():
        before = _identity_snapshot(account)
        account.delete()
        audit_log_record(actor=actor, action="user.identity_unlink", obj=actor, before=before)
