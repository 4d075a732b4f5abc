"""Telling people what needs them: an in-portal notification per recipient, and an e-mail through Django's mail
backend once the transaction commits (a mail server that is down never undoes the change that caused it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from accounts.models import Notification, RoleGrant, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One message for some people (see `notify`); `notify_each` stores many of them at once."""

    recipients: Iterable[User]
    kind: str
    message: str
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    topic: str = ""


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
    it once its object is decided. The e-mail is written in the recipient's language (`User.language`).
    """
    excluded = {user.pk for user in exclude if user is not None}
    people = [user for user in recipients if user.pk not in excluded]
    return notify_each([Notice(people, kind, message, url, dict(params or {}), topic)])


def _mail(notification: Notification) -> tuple[str, str, str, list[str]]:
    """The e-mail of one notification, in its reader's language (the portal's default when they chose none)."""
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = notification.text
    link = f"{settings.PORTAL_BASE_URL.rstrip('/')}{notification.url}"
    return (f"[Go3s] {text[:120]}", f"{text}\n\n{link}\n", settings.DEFAULT_FROM_EMAIL, [user.email])


def notify_each(notices: Iterable[Notice]) -> int:
    """Stores every notice's notifications in one insert and mails them after commit (one message per person
    and notice; inactive people are skipped). Returns how many notifications were created."""
    rows: list[Notification] = []
    for notice in notices:
        people = {user.pk: user for user in notice.recipients if user.is_active}
        rows.extend(
            Notification(
                user=user,
                kind=notice.kind,
                message=notice.message[:300],
                url=notice.url[:300],
                params=notice.params,
                topic=notice.topic[:80],
            )
            for user in people.values()
        )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows)
    mails = [_mail(row) for row in rows if row.user.email]

    def send() -> None:
        try:
            send_mass_mail(mails, fail_silently=False)
        except Exception:  # the notification is in the portal either way
            log.exception("sending %s notification e-mails failed", len(mails))

    if mails:
        transaction.on_commit(send)
    return len(rows)


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
