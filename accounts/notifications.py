"""Telling people what needs them: an in-portal notification per recipient, and an e-mail through Django's mail
backend once the transaction commits (a mail server that is down never undoes the change that caused it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Notification, RoleGrant, User

log = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    message: str,
    url: str = "",
    exclude: Iterable[User | None] = (),
    params: dict[str, Any] | None = None,
    topic: str = "",
) -> int:
    """Creates one notification per distinct recipient (minus `exclude`) and mails them after commit.

    `message` is an English msgid (mark it with gettext_noop) with %(name)s placeholders filled from `params`
    when it is read, so each reader sees it in their own language; `topic` lets `notifications_resolve` close
    it once its object is decided.
    """
    params = dict(params or {})
    excluded = {user.pk for user in exclude if user is not None}
    people = {user.pk: user for user in recipients if user.pk not in excluded and user.is_active}
    if not people:
        return 0
    Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, message=message[:300], url=url[:300], params=params, topic=topic[:80])
            for user in people.values()
        ]
    )
    if params:
        message = message % params
    mails = [
        (
            f"[Go3s] {message[:120]}",
            f"{message}\n\n{settings.PORTAL_BASE_URL.rstrip('/')}{url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        for user in people.values()
        if user.email
    ]

    def send() -> None:
        try:
            send_mass_mail(mails, fail_silently=False)
        except Exception:  # the notification is in the portal either way
            log.exception("sending %s notification e-mails failed", len(mails))

    if mails:
        transaction.on_commit(send)
    return len(people)


def holders_of(*roles: str) -> QuerySet[User]:
    """Active users holding any of the roles (for notifying, e.g., every auditor)."""
    return User.objects.filter(
        is_active=True, pk__in=RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True).values("user_id")
    )


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True, resolved_at__isnull=True).count()


def notifications_mark_read(*, actor: User) -> int:
    """Marks every unread notification of the actor read (their own inbox: no audit-log entry needed)."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())


def notifications_resolve(*, topic: str) -> int:
    """Marks every open notification about `topic` resolved (and read): its object has been decided."""
    now = timezone.now()
    open_ = Notification.objects.filter(topic=topic, resolved_at__isnull=True)
    Notification.objects.filter(topic=topic, resolved_at__isnull=True, read_at__isnull=True).update(read_at=now)
    return open_.update(resolved_at=now)
