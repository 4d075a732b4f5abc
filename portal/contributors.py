"""Contributor figures: who holds each role and what they did, for the people page and profiles.

Portal-level because it counts across domains (governance and courses), which do not know each other.
Each figure is one aggregate query, so the pages cost the same at any size.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleApplication, User
from courses.models import Enrolment
from curation.models import Dataset, PiiFlag, Ruling
from governance.models import Audit, Evaluation, Quarter
from toolchain.models import Benchmark, BenchmarkRun


def _per_user(queryset: Any, field: str, user: User | None) -> int:
    if user is not None:
        return int(queryset.filter(**{field: user.pk}).count())
    return int(queryset.count())


def activity(user: User | None = None) -> dict[str, list[tuple[Any, int]]]:
    """Per role, (what, how many) — for one user, or for the whole community when `user` is None."""
    submitted = Audit.objects.exclude(status=Audit.Status.DRAFT)
    decided = Audit.objects.filter(decided_by__isnull=False)
    return {
        Role.AUDITOR: [
            (_("audits submitted"), _per_user(submitted, "author_id", user)),
            (_("audits decided"), _per_user(decided, "decided_by_id", user)),
            (
                _("health values reviewed"),
                _per_user(Evaluation.objects.filter(reviewed_by__isnull=False), "reviewed_by_id", user),
            ),
        ],
        Role.CURATOR: [
            (_("arbitration rulings"), _per_user(Ruling.objects.all(), "curator_id", user)),
            (_("PII flags reviewed"), _per_user(PiiFlag.objects.filter(reviewed_by__isnull=False), "reviewed_by_id", user)),
            (_("datasets released"), _per_user(Dataset.objects.filter(state="released"), "owner_id", user)),
        ],
        Role.TOOLCHAIN_MAINTAINER: [
            (_("benchmarks registered"), _per_user(Benchmark.objects.all(), "created_by_id", user)),
            (_("benchmark runs started"), _per_user(BenchmarkRun.objects.all(), "started_by_id", user)),
        ],
        Role.STEWARD: [
            (
                _("role applications decided"),
                _per_user(RoleApplication.objects.filter(decided_by__isnull=False), "decided_by_id", user),
            ),
            (_("quarters frozen"), _per_user(Quarter.objects.filter(status=Quarter.Status.FROZEN), "frozen_by_id", user)),
        ],
        Role.INSTRUCTOR: [
            (_("courses taught"), _per_user(Enrolment.objects.filter(role="instructor"), "user_id", user)),
        ],
    }


def role_table() -> list[dict[str, Any]]:
    """The seed's table: each contributor role with its number of people and what they did together."""
    holders = dict(
        User.objects.filter(role_grants__revoked_at__isnull=True)
        .values_list("role_grants__role")
        .annotate(people=Count("pk", distinct=True))
    )
    labels = dict(Role.choices)
    return [{"role": role, "label": labels[role], "people": holders.get(role, 0), "did": did} for role, did in activity().items()]


def top_contributors(role: str, limit: int = 10) -> list[User]:
    """The most active holders of a role by the first figure of the role (audits submitted, rulings, …)."""
    counts: dict[str, Any] = {
        Role.AUDITOR: Count("audits", filter=~Q(audits__status=Audit.Status.DRAFT), distinct=True),
        Role.CURATOR: Count("rulings", distinct=True),
    }
    measure = counts.get(role)
    people = User.objects.filter(role_grants__role=role, role_grants__revoked_at__isnull=True).distinct()
    if measure is None:
        return list(people.order_by("username")[:limit])
    return list(people.annotate(score=measure).filter(score__gt=0).order_by("-score", "username")[:limit])
