"""What a quarter's seal covers beyond the rule's inputs: per eligible model its version, owners, payout identity,
certification and the evaluations it rests on, down to the SHA-256 of each run's output notebook or evidence file.

Built from plain `values_list` rows (three queries whatever the number of models), so a 10,000-model quarter
stays cheap. The same function rebuilds the record from the database when a frozen quarter is verified, so any
change below the seal (an edited value, a swapped evidence file) shows as a difference.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet

from governance.models import Certification, CommunityModel, Evaluation

MANIFEST_VERSION = 2


def timestamp(moment: datetime | None) -> str | None:
    """UTC, ISO 8601 with microseconds and a Z: one spelling, so the same moment always hashes the same."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def quarter_period(label: str) -> dict[str, str]:
    """2026Q4 → 2026-10-01 … 2026-12-31 (both days included)."""
    year, quarter = int(label[:4]), int(label[5])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return {"start": start.isoformat(), "end": date.fromordinal(end.toordinal() - 1).isoformat()}


def file_sha256(name: str) -> str | None:
    """Hex SHA-256 of a stored file, or None when there is no file or it is gone."""
    if not name:
        return None
    digest = hashlib.sha256()
    try:
        with default_storage.open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (FileNotFoundError, OSError):
        return None
    return digest.hexdigest()


def _value(number: Decimal) -> str:
    return f"{number:.6f}"


def payout_identities(model_ids: Iterable[int]) -> dict[int, str]:
    """The linked GitHub login that is each model's payout identity (PRODUCT.md "Identity").

    An owner links GitHub by signing in with it or from their sign-in methods page (django-allauth's
    `SocialAccount(provider="github")`, whose `extra_data` is GitHub's `/user` answer): its `login` is the payout
    identity. Of a model's owners, the first (by user id) with a linked GitHub account counts; a model none of whose
    owners linked one is exported as blocked ("no linked GitHub account"). Unlinking GitHub blocks the next sealed
    quarter, never a sealed one (the manifest keeps the login it was sealed with).
    """
    social_account = apps.get_model("socialaccount", "SocialAccount")
    owners = CommunityModel.owners.through.objects.filter(communitymodel_id__in=list(model_ids)).order_by("user_id")
    logins: dict[int, str] = {}
    by_user = {
        row[0]: str(row[1].get("login", ""))
        for row in social_account.objects.filter(provider="github", user_id__in=owners.values("user_id")).values_list(
            "user_id", "extra_data"
        )
    }
    for model_id, user_id in owners.values_list("communitymodel_id", "user_id"):
        if by_user.get(user_id):
            logins.setdefault(model_id, by_user[user_id])
    return logins


def evaluation_record(row: dict[str, Any]) -> dict[str, object]:
    run_output = row["run__output_notebook"] or ""
    evidence = "run output notebook" if run_output else ("evidence file" if row["evidence_file"] else "note only")
    return {
        "id": row["id"],
        "dimension": row["dimension"],
        "value": _value(row["value"]),
        "unit": row["unit"],
        "methodology_version": row["methodology_version"],
        "provenance": row["provenance"],
        "status": row["status"],
        "estimated": row["estimated"],
        "measured_at": timestamp(row["measured_at"]),
        "reviewer": row["reviewed_by__username"],
        "run_id": row["run_id"],
        "evidence": evidence,
        "evidence_sha256": file_sha256(run_output or row["evidence_file"] or ""),
    }


EVALUATION_FIELDS = [
    "id",
    "dimension",
    "value",
    "unit",
    "methodology_version",
    "provenance",
    "status",
    "estimated",
    "measured_at",
    "reviewed_by__username",
    "run_id",
    "run__output_notebook",
    "evidence_file",
]


def models_record(certifications: QuerySet[Certification]) -> dict[str, dict[str, object]]:
    """Per eligible model slug, what its payout rests on (see the module docstring)."""
    rows = list(
        certifications.values_list(
            "pk",
            "model_id",
            "model__slug",
            "version_id",
            "version__version",
            "methodology_version",
            "valid_from",
            "expires_at",
            "robustness_id",
            "explainability_id",
            "energy_id",
        )
    )
    certification_ids = [row[0] for row in rows]
    evaluations = {
        row["id"]: evaluation_record(row)
        for row in Evaluation.objects.filter(
            Q(pk__in=Certification.objects.filter(pk__in=certification_ids).values("robustness_id"))
            | Q(pk__in=Certification.objects.filter(pk__in=certification_ids).values("explainability_id"))
            | Q(pk__in=Certification.objects.filter(pk__in=certification_ids).values("energy_id"))
        ).values(*EVALUATION_FIELDS)
    }
    owners: dict[int, list[str]] = defaultdict(list)
    model_ids = [row[1] for row in rows]
    for model_id, username in (
        CommunityModel.owners.through.objects.filter(communitymodel_id__in=certifications.values("model_id"))
        .order_by("user__username")
        .values_list("communitymodel_id", "user__username")
    ):
        owners[model_id].append(username)
    payout = payout_identities(model_ids)
    record: dict[str, dict[str, object]] = {}
    for pk, model_id, slug, version_id, version, methodology, valid_from, expires_at, *evaluation_ids in rows:
        record[slug] = {
            "version": version,
            "version_id": version_id,
            "owners": owners.get(model_id, []),
            "payout_identity": {"github": payout[model_id]} if model_id in payout else None,
            "certification": {
                "id": pk,
                "methodology_version": methodology,
                "valid_from": timestamp(valid_from),
                "expires_at": timestamp(expires_at),
            },
            "evaluations": [evaluations[evaluation_id] for evaluation_id in sorted(evaluation_ids)],
        }
    return dict(sorted(record.items()))
