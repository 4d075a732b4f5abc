"""What owners of a model are told about its certification and its money, in the portal and by e-mail.

Each message is an English msgid with placeholders, read in the reader's language (accounts.notifications);
each links to the page where the owner can act on it: the My models page for what they must do (evaluate,
publish), the audit for a suspension, the public health page for a value's story.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.audit import audit_log_record
from accounts.money import format_money
from accounts.notifications import Notice, notify_each
from governance.models import Allocation, Audit, Certification, CertificationReminder, CommunityModel, Evaluation, Quarter

# Dimension → its label's msgid (stored in the notification, translated when read).
DIMENSION_MSGIDS = {"robustness": "robustness", "explainability": "explainability", "energy": "energy efficiency"}

GRANTED = gettext_noop("%(model)s %(version)s is certified until %(date)s.")
EXPIRING = gettext_noop(
    "The certification of %(model)s %(version)s expires within %(days)s days, on %(date)s: "
    "start a verified evaluation to renew it."
)
EXPIRED = gettext_noop(
    "The certification of %(model)s %(version)s expired on %(date)s: start a verified evaluation to be certified again."
)
SUSPENDED = gettext_noop(
    "The certification of %(model)s %(version)s is suspended by audit #%(audit)s (a critical security finding): "
    "fix the model and publish a new version."
)
RESET = gettext_noop(
    "%(model)s %(version)s is the current version: its certification starts again from nothing. "
    "Start a verified evaluation of the new version."
)
ENDED = gettext_noop("The certification of %(model)s %(version)s ended: a newer counted value does not pass its threshold.")
REJECTED = gettext_noop("A community %(dimension)s value of %(model)s %(version)s was rejected by the second auditor.")
FROZEN = gettext_noop("Quarter %(quarter)s is frozen: %(model)s receives %(amount)s.")


def my_models_url(model: CommunityModel) -> str:
    return f"{reverse('governance:my_models')}#model-{model.slug}"


def _notice(model: CommunityModel, kind: str, message: str, url: str, **params: str) -> Notice:
    return Notice(
        recipients=list(model.owners.all()),
        kind=kind,
        message=message,
        url=url,
        params={"model": model.slug, **params},
        topic=f"model:{model.slug}:{kind}"[:80],
    )


def tell_granted(certification: Certification) -> None:
    model = certification.model
    notify_each(
        [
            _notice(
                model,
                "certification.granted",
                GRANTED,
                reverse("governance:model_health", args=[model.slug]),
                version=certification.version.version,
                date=f"{timezone.localtime(certification.expires_at):%Y-%m-%d}",
            )
        ]
    )


def tell_ended(certification: Certification, *, audit: Audit | None = None, reset: bool = False) -> None:
    """A suspension (with its audit), a reset by a new version, or an end because a newer value fails."""
    model = certification.model
    if audit is not None:
        notice = _notice(
            model,
            "certification.suspended",
            SUSPENDED,
            reverse("governance:audit", args=[audit.pk]),
            version=certification.version.version,
            audit=str(audit.pk),
        )
    elif reset:
        current = model.current_version.version if model.current_version else ""
        notice = _notice(model, "certification.reset", RESET, my_models_url(model), version=current)
    else:
        notice = _notice(
            model,
            "certification.ended",
            ENDED,
            reverse("governance:model_health", args=[model.slug]),
            version=certification.version.version,
        )
    notify_each([notice])


def tell_rejected(evaluation: Evaluation) -> None:
    model = evaluation.version.model
    notice = _notice(
        model,
        "evaluation.rejected",
        REJECTED,
        reverse("governance:model_health", args=[model.slug]),
        version=evaluation.version.version,
        dimension=DIMENSION_MSGIDS.get(evaluation.dimension, evaluation.dimension),
    )
    notice.params["_translate"] = ["dimension"]
    notify_each([notice])


def tell_frozen(quarter: Quarter) -> int:
    """Every owner of a model paid by the frozen quarter hears the amount (one insert for all of them)."""
    allocations: Iterable[Allocation] = quarter.allocations.select_related("model").prefetch_related("model__owners")
    return notify_each(
        [
            _notice(
                allocation.model,
                "quarter.frozen",
                FROZEN,
                my_models_url(allocation.model),
                quarter=quarter.label,
                amount=format_money(allocation.amount_minor_units, quarter.currency),
            )
            for allocation in allocations
        ]
    )


def _threshold(left: timedelta) -> str:
    if left <= timedelta(0):
        return CertificationReminder.Threshold.EXPIRED
    if left <= timedelta(days=7):
        return CertificationReminder.Threshold.DAYS_7
    return CertificationReminder.Threshold.DAYS_30


def certification_reminders_send() -> int:
    """The daily job: owners of a certification expiring within 30 days, within 7 days, or expired hear it once
    per threshold. Each reminder is claimed by inserting its row first (unique per certification and threshold),
    so running the job twice, or twice at once, tells nobody twice. Returns how many reminders were sent.

    A reminder late by more than one threshold (the job did not run for weeks) sends only the nearest one.
    """
    now = timezone.now()
    due = (
        Certification.objects.filter(
            status=Certification.Status.ACTIVE,
            version_id=F("model__current_version_id"),
            expires_at__lte=now + timedelta(days=30),
        )
        .exclude(reminders__threshold=CertificationReminder.Threshold.EXPIRED)
        .select_related("model", "version")
        .order_by("expires_at", "pk")
    )
    sent = 0
    for certification in due:
        threshold = _threshold(certification.expires_at - now)
        with transaction.atomic():
            _, created = CertificationReminder.objects.get_or_create(certification=certification, threshold=threshold)
            if not created:
                continue
            model = certification.model
            params = {
                "version": certification.version.version,
                "date": f"{timezone.localtime(certification.expires_at):%Y-%m-%d}",
            }
            if threshold == CertificationReminder.Threshold.EXPIRED:
                notice = _notice(model, "certification.expired", EXPIRED, my_models_url(model), **params)
            else:
                days = "7" if threshold == CertificationReminder.Threshold.DAYS_7 else "30"
                notice = _notice(model, f"certification.{threshold}", EXPIRING, my_models_url(model), days=days, **params)
            notify_each([notice])
            audit_log_record(actor=None, action="certification.remind", obj=certification, after={"threshold": threshold})
            sent += 1
    return sent
