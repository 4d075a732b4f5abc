"""Sponsorship quarters: open, compute (recompute while open), freeze. A frozen quarter never changes.

Compute and freeze lock the quarter row (`select_for_update`), so concurrent calls serialise and leave
exactly one consistent result. A write attempted on a frozen quarter — from the API, a page, the admin, a
command or a task, all of which call these services — is refused with 409 and the refusal is logged
(after the refused transaction rolled back, so the log entry stays). Database triggers
(governance/db_guards.py) refuse changes to frozen rows below the ORM as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import audit_log_record
from accounts.errors import ApplicationError, NotAllowed, NotFound, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role
from governance import sponsorship_rules
from governance.methodology import VERSION, thresholds_for_manifest
from governance.models import Allocation, Quarter
from governance.selectors import quarter_evidence
from governance.selectors.health import certified_now
from governance.services import owner_notices

LABEL = re.compile(r"^[0-9]{4}Q[1-4]$")
T = TypeVar("T")


class QuarterFrozen(WrongState):
    default_code = "quarter_frozen"


def _may_steward(actor: User | None) -> bool:
    return actor is None or user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR)  # None: the system (commands, tasks)


def _guarded(action: str, label: str, actor: User | None, work: Callable[[], T]) -> T:
    """Runs `work` in a transaction; a refusal is logged after the rollback, so the attempt stays on record."""
    try:
        with transaction.atomic():
            return work()
    except QuarterFrozen as refusal:
        audit_log_record(
            actor=actor,
            action=f"{action}.refused",
            object_type="governance.quarter",
            object_id=label,
            object_repr=label,
            after={"reason": refusal.message},
        )
        raise


def _percent(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError("Not a number.", fields={field: ["A percentage, e.g. 3 or 2.5."]}) from error
    if not number.is_finite() or not Decimal(0) < number <= Decimal(100) or number != number.quantize(Decimal("0.000001")):
        raise ApplicationError("Out of range.", fields={field: ["More than 0 and at most 100, up to six decimals."]})
    return number


def _fraction(percent: Decimal) -> Fraction:
    return Fraction(percent) / 100


def _locked(label: str) -> Quarter:
    quarter = Quarter.objects.select_for_update().filter(label=label).first()
    if quarter is None:
        raise NotFound(f"No quarter {label}.")
    return quarter


@transaction.atomic
def quarter_open(
    *,
    actor: User | None,
    label: str,
    pool_minor_units: Any,
    currency: str,
    weight_percent: Any = 3,
    cap_percent: Any = 100,
    usd_exchange_rate: Any = None,
) -> Quarter:
    if not _may_steward(actor):
        raise NotAllowed("Only stewards open sponsorship quarters.")
    label = str(label).strip().upper()
    errors: dict[str, list[str]] = {}
    if not LABEL.match(label):
        errors["label"] = ["A year and quarter like 2026Q4."]
    if not (isinstance(pool_minor_units, int) and not isinstance(pool_minor_units, bool) and 0 < pool_minor_units <= 10**15):
        errors["pool_minor_units"] = ["A whole number of minor units (cents, fen), more than 0."]
    currency = str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = ["A three-letter ISO 4217 code, e.g. CNY or EUR."]
    if errors:
        raise ApplicationError("Check the quarter's fields.", fields=errors)
    weight = _percent("weight_percent", weight_percent)
    cap = _percent("cap_percent", cap_percent)
    rate = None if usd_exchange_rate in (None, "") else _exchange_rate(usd_exchange_rate)
    if Quarter.objects.filter(label=label).exists():
        raise WrongState(f"Quarter {label} exists already.", code="quarter_exists")
    quarter = Quarter.objects.create(
        label=label,
        pool_minor_units=pool_minor_units,
        currency=currency,
        weight_percent=weight,
        cap_percent=cap,
        usd_exchange_rate=rate,
        created_by=actor if actor is not None else None,
    )
    audit_log_record(
        actor=actor,
        action="quarter.open",
        obj=quarter,
        after={"pool_minor_units": pool_minor_units, "currency": currency, "weight_percent": weight, "cap_percent": cap},
    )
    return quarter


def _insert_allocations(quarter: Quarter, rows: list[Any], amounts: dict[str, int]) -> None:
    """One executemany INSERT: the ORM's per-instance work would be most of a 10,000-model computation."""
    evaluation_ids = Allocation._meta.get_field("evaluation_ids")
    table = Allocation._meta.db_table
    columns = "quarter_id, model_id, version_id, certification_id, model_slug, evaluation_ids, amount_minor_units"
    values = [
        (
            quarter.pk,
            model_id,
            version_id,
            certification_id,
            slug,
            evaluation_ids.get_db_prep_save(sorted(ids), connection),
            amounts[slug],
        )
        for certification_id, model_id, version_id, slug, *ids in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)", values)  # noqa: S608 - constants


def _eligible_rows(certifications: Any) -> list[tuple[Any, ...]]:
    # Plain tuples, not model instances: at 10,000 eligible models this is most of the work.
    return list(
        certifications.order_by("model__slug").values_list(
            "pk", "model_id", "version_id", "model__slug", "robustness_id", "explainability_id", "energy_id"
        )
    )


def _draft(quarter: Quarter, rows: list[tuple[Any, ...]], certifications: Any) -> tuple[dict[str, object], Any]:
    """The unsealed manifest of computing `quarter` now from these eligible rows, and the rule's result."""
    eligible = {row[3]: sorted(row[4:]) for row in rows}
    weight, cap = _fraction(quarter.weight_percent), _fraction(quarter.cap_percent)
    result = sponsorship_rules.allocate(pool_minor_units=quarter.pool_minor_units, eligible=eligible, weight=weight, cap=cap)
    record: dict[str, object] = {
        "manifest_version": quarter_evidence.MANIFEST_VERSION,
        "rule_version": sponsorship_rules.RULE_VERSION,
        "period": quarter_evidence.quarter_period(quarter.label),
        "computed_at": quarter_evidence.timestamp(quarter.computed_at),
        "frozen_at": None,
        "usd_exchange_rate": None if quarter.usd_exchange_rate is None else f"{quarter.usd_exchange_rate.normalize():f}",
        "models": quarter_evidence.models_record(certifications),
    }
    manifest = sponsorship_rules.canonical_manifest(
        quarter=quarter.label,
        methodology_version=VERSION,
        thresholds=thresholds_for_manifest(),
        pool_minor_units=quarter.pool_minor_units,
        currency=quarter.currency,
        weight=weight,
        cap=cap,
        eligible=eligible,
        allocation=result,
        record=record,
    )
    return manifest, result


def quarter_compute(*, actor: User | None, label: str) -> Quarter:
    """Allocates the pool between the models certified now; replaces any earlier computation of this open quarter.

    Stores the unsealed manifest of this computation (`Quarter.manifest`), which freeze compares with the current
    inputs, and clears `stale`.
    """
    if not _may_steward(actor):
        raise NotAllowed("Only stewards compute sponsorship quarters.")

    def work() -> Quarter:
        quarter = _locked(label)
        if quarter.frozen:
            raise QuarterFrozen(f"Quarter {label} is frozen: its allocations can no longer change.")
        certifications = certified_now()
        rows = _eligible_rows(certifications)
        quarter.computed_at = timezone.now()
        draft, result = _draft(quarter, rows, certifications.filter(pk__in=[row[0] for row in rows]))
        quarter.allocations.all().delete()
        _insert_allocations(quarter, rows, result.amounts)
        quarter.computed_by = actor
        quarter.computations += 1
        quarter.eligible_count = result.n
        quarter.allocated_minor_units = result.allocated_minor_units
        quarter.unallocated_minor_units = result.unallocated_minor_units
        quarter.share = str(result.share)
        quarter.manifest = draft
        quarter.stale = False
        quarter.save(
            update_fields=[
                "computed_at",
                "computed_by",
                "computations",
                "eligible_count",
                "allocated_minor_units",
                "unallocated_minor_units",
                "share",
                "manifest",
                "stale",
                "updated_at",
            ]
        )
        audit_log_record(
            actor=actor,
            action="quarter.compute",
            obj=quarter,
            after={
                "eligible": result.n,
                "allocated": result.allocated_minor_units,
                "unallocated": result.unallocated_minor_units,
                "share": str(result.share),
                "computation": quarter.computations,
            },
        )
        return quarter

    return _guarded("quarter.compute", label, actor, work)


def _differences(computed: dict[str, object], now: dict[str, object]) -> list[str]:
    """Names what changed between two drafts: top-level fields, and eligible models that joined, left or changed."""
    changed = [key for key in sorted(set(computed) | set(now)) if key != "models" and computed.get(key) != now.get(key)]
    before, after = computed.get("models") or {}, now.get("models") or {}
    assert isinstance(before, dict) and isinstance(after, dict)
    for slug in sorted(set(before) | set(after)):
        if slug not in after:
            changed.append(f"{slug} is no longer eligible")
        elif slug not in before:
            changed.append(f"{slug} became eligible")
        elif before[slug] != after[slug]:
            changed.append(f"{slug}'s record changed")
    return changed


def quarter_freeze(*, actor: User | None, label: str) -> Quarter:
    """Seals exactly what the last computation showed: canonical manifest + SHA-256. From then on it never changes.

    Rebuilds the manifest from the current inputs (pool, weight, cap, certifications, evaluations, evidence
    files) and refuses with 409 `stale` when anything differs from the last computation, naming what did; the
    steward computes again, inspects, and freezes that. Locks the quarter row.
    """
    if not _may_steward(actor):
        raise NotAllowed("Only stewards freeze sponsorship quarters.")

    def work() -> Quarter:
        quarter = _locked(label)
        if quarter.frozen:
            raise QuarterFrozen(f"Quarter {label} is already frozen.")
        if not quarter.computations or not isinstance(quarter.manifest, dict):
            raise WrongState("Compute the quarter before freezing it.", code="not_computed")
        if quarter.stale:
            raise WrongState(
                "The quarter's pool, weight or cap changed since the last computation; compute again before freezing.",
                code="stale",
            )
        certifications = certified_now(at=timezone.now())
        rows = _eligible_rows(certifications)
        now, _result = _draft(quarter, rows, certifications.filter(pk__in=[row[0] for row in rows]))
        changed = _differences(quarter.manifest, now)
        if changed:
            raise WrongState(
                "The inputs changed since the last computation; compute again before freezing. Changed: "
                + "; ".join(changed[:10])
                + (f" (and {len(changed) - 10} more)" if len(changed) > 10 else ""),
                code="stale",
            )
        stored = dict(quarter.allocations.values_list("model_slug", "amount_minor_units"))
        if stored != now["allocations"]:
            raise WrongState("The stored allocations differ from the computation; compute again.", code="inconsistent")
        quarter.frozen_at = timezone.now()
        manifest = sponsorship_rules.seal({**now, "frozen_at": quarter_evidence.timestamp(quarter.frozen_at)})
        # The totals shown from now on are the manifest's.
        quarter.allocated_minor_units = int(str(manifest["allocated_minor_units"]))
        quarter.unallocated_minor_units = int(str(manifest["unallocated_minor_units"]))
        quarter.status = Quarter.Status.FROZEN
        quarter.frozen_by = actor
        quarter.manifest = manifest
        quarter.manifest_sha256 = str(manifest["sha256"])
        quarter.save(
            update_fields=[
                "status",
                "frozen_at",
                "frozen_by",
                "manifest",
                "manifest_sha256",
                "allocated_minor_units",
                "unallocated_minor_units",
                "updated_at",
            ]
        )
        audit_log_record(actor=actor, action="quarter.freeze", obj=quarter, after={"sha256": quarter.manifest_sha256})
        owner_notices.tell_frozen(quarter)  # each paid model's owners hear their amount (mailed after commit)
        return quarter

    return _guarded("quarter.freeze", label, actor, work)


def _exchange_rate(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError("Not a number.", fields={"usd_exchange_rate": ["US dollars per unit, e.g. 0.14."]}) from error
    if not number.is_finite() or not Decimal(0) < number <= Decimal(10**6) or number != number.quantize(Decimal("0.00000001")):
        raise ApplicationError(
            "Out of range.", fields={"usd_exchange_rate": ["More than 0, at most 1,000,000, up to eight decimals."]}
        )
    return number


def quarter_update(
    *,
    actor: User | None,
    label: str,
    pool_minor_units: Any = None,
    weight_percent: Any = None,
    cap_percent: Any = None,
    usd_exchange_rate: Any = None,
) -> Quarter:
    """Changes an open quarter's pool, weight, cap or US-dollar exchange rate.

    A change to a computed quarter marks its computation stale (shown on every page, API answer and export
    of the quarter) until it is computed again; freeze refuses a stale quarter with 409.
    """
    if not _may_steward(actor):
        raise NotAllowed("Only stewards change sponsorship quarters.")

    def work() -> Quarter:
        quarter = _locked(label)
        if quarter.frozen:
            raise QuarterFrozen(f"Quarter {label} is frozen: it can no longer change.")
        before = {
            "pool_minor_units": quarter.pool_minor_units,
            "weight_percent": quarter.weight_percent,
            "cap_percent": quarter.cap_percent,
            "usd_exchange_rate": quarter.usd_exchange_rate,
        }
        if pool_minor_units is not None:
            if not (
                isinstance(pool_minor_units, int) and not isinstance(pool_minor_units, bool) and 0 < pool_minor_units <= 10**15
            ):
                raise ApplicationError(
                    "Invalid pool.", fields={"pool_minor_units": ["A whole number of minor units, more than 0."]}
                )
            quarter.pool_minor_units = pool_minor_units
        if weight_percent is not None:
            quarter.weight_percent = _percent("weight_percent", weight_percent)
        if cap_percent is not None:
            quarter.cap_percent = _percent("cap_percent", cap_percent)
        if usd_exchange_rate not in (None, ""):
            quarter.usd_exchange_rate = _exchange_rate(usd_exchange_rate)
        after = {
            "pool_minor_units": quarter.pool_minor_units,
            "weight_percent": quarter.weight_percent,
            "cap_percent": quarter.cap_percent,
            "usd_exchange_rate": quarter.usd_exchange_rate,
        }
        if after != before and quarter.computations:
            quarter.stale = True
        quarter.save(
            update_fields=["pool_minor_units", "weight_percent", "cap_percent", "usd_exchange_rate", "stale", "updated_at"]
        )
        after["stale"] = quarter.stale
        audit_log_record(actor=actor, action="quarter.update", obj=quarter, before=before, after=after)
        return quarter

    return _guarded("quarter.update", label, actor, work)
