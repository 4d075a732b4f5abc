"""Reads about users, roles and the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.errors import NotFound
from accounts.models import AuditLogEntry, Role, RoleApplication, RoleGrant, User

APPROVER_ROLES = frozenset({Role.STEWARD, Role.ADMINISTRATOR})


def user_roles(user: Any) -> frozenset[str]:
    """The active roles of `user`, cached on the object for the rest of the request.

    A superuser holds the administrator role implicitly.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_portal_roles", None)
    if cached is None:
        roles = set(RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list("role", flat=True))
        if user.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        cached = frozenset(roles)
        user._portal_roles = cached
    return cached


def user_has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def user_can_decide_applications(user: Any) -> bool:
    return user_has_role(user, *APPROVER_ROLES)


def role_application_list_pending() -> QuerySet[RoleApplication]:
    return RoleApplication.objects.filter(status=RoleApplication.Status.PENDING).select_related("applicant")


def role_application_list_for_user(user: User) -> QuerySet[RoleApplication]:
    """`user`'s own role applications (only the applicant's: approvers read `role_application_list_pending`)."""
    return RoleApplication.objects.filter(applicant=user).select_related("decided_by")


def role_application_get_for_user(user: Any, pk: int) -> RoleApplication:
    """The application if `user` may see it (its applicant or an approver); otherwise NotFound."""
    visible = RoleApplication.objects.select_related("applicant", "decided_by")
    if not user_can_decide_applications(user):
        visible = visible.filter(applicant_id=user.pk)
    application = visible.filter(pk=pk).first()
    if application is None:
        raise NotFound("No such role application.")
    return application


def role_grant_list_active() -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(revoked_at__isnull=True).select_related("user", "granted_by")


def role_counts() -> dict[str, int]:
    """Active holders per role, every role present (zero where none)."""
    counts = dict(RoleGrant.objects.filter(revoked_at__isnull=True).values_list("role").annotate(n=Count("id")).order_by())
    return {role: int(counts.get(role, 0)) for role in Role.values}


def audit_log_list(*, object_type: str = "", object_id: str = "", actor_id: int | None = None) -> QuerySet[AuditLogEntry]:
    # Not the actors: an entry names its actor by `actor_label`, kept as it was when the entry was written.
    entries = AuditLogEntry.objects.all()
    condition = Q()
    if object_type:
        condition &= Q(object_type=object_type)
    if object_id:
        condition &= Q(object_id=object_id)
    if actor_id is not None:
        condition &= Q(actor_id=actor_id)
    return entries.filter(condition)


def social_identities_for_user(user: Any) -> list[Any]:
    """The identities (GitHub, universities) that sign `user` in, oldest first."""
    from allauth.socialaccount.models import SocialAccount

    return list(SocialAccount.objects.filter(user=user).order_by("date_joined", "pk"))


def github_login_for_user(user: Any) -> str:
    """The GitHub login linked to `user` (their payout identity in sponsorship exports), or ""."""
    from allauth.socialaccount.models import SocialAccount

    extra = SocialAccount.objects.filter(user=user, provider="github").values_list("extra_data", flat=True).first()
    return str((extra or {}).get("login", ""))
