"""The sponsorship allocation rule and the manifest that seals a frozen quarter.

Pure Python: no Django, no database, no floats. Money is integer minor units and every ratio is a
`fractions.Fraction`, so the same inputs give the same amounts on any machine, and anyone holding a
frozen quarter's manifest can recompute its allocations with `verify`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeGuard

TIE_BREAK = "model slug ascending"
"""The published tie-break for leftover minor units; it is written into every manifest."""

RULE_VERSION = "1"
"""The version of `allocate`; written into every manifest so a later rule never re-reads an older quarter."""

Manifest = dict[str, object]
"""A manifest as JSON-ready data: str keys; values are str, int, lists and dicts of those."""

_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Allocation:
    """The outcome of `allocate` for one quarter.

    `amounts` maps each eligible model slug to its minor units, keys in ascending slug order.
    `share` is each model's share of the pool before rounding (0 when no model is eligible) and `n`
    the number of eligible models. `allocated_minor_units + unallocated_minor_units` is the pool.
    """

    amounts: dict[str, int]
    allocated_minor_units: int
    unallocated_minor_units: int
    share: Fraction
    n: int

    @property
    def pool_minor_units(self) -> int:
        return self.allocated_minor_units + self.unallocated_minor_units


def allocate(*, pool_minor_units: int, eligible: Iterable[str], weight: Fraction, cap: Fraction) -> Allocation:
    """Splits a quarter's pool between its eligible models.

    The rule, with n the number of eligible model slugs:

    - share = min(weight, cap / n): every model gets the same share, and together they never take
      more than `cap` of the pool. With n = 0 nothing is allocated and share is 0.
    - total handed out = floor(pool × share × n).
    - each model first gets floor(pool × share).
    - the leftover, total − n × floor(pool × share), goes one minor unit each by largest remainder of
      pool × share, ties broken by model slug ascending. All shares are equal, so all remainders are
      equal and the leftover goes to the first `leftover` slugs in ascending order. The leftover is
      n × frac(pool × share), always less than n, so no model gets more than one extra unit.
    - unallocated = pool − total, reported rather than handed out.

    Slugs order by Python's str ordering (code point). The result does not depend on the order of
    `eligible`.

    Raises ValueError when `pool_minor_units` is not a non-negative int (bool is refused), when
    `weight` or `cap` is not a Fraction with 0 < value ≤ 1, or when `eligible` holds a duplicate,
    an empty slug or a non-str.
    """
    _check_pool(pool_minor_units)
    _check_ratio("weight", weight)
    _check_ratio("cap", cap)
    slugs = _sorted_distinct_slugs(eligible)
    n = len(slugs)
    if n == 0:
        return Allocation(amounts={}, allocated_minor_units=0, unallocated_minor_units=pool_minor_units, share=Fraction(0), n=0)

    share = min(weight, cap / n)
    per_model = pool_minor_units * share
    base = math.floor(per_model)
    total = math.floor(per_model * n)
    leftover = total - n * base
    amounts = {slug: base + (1 if rank < leftover else 0) for rank, slug in enumerate(slugs)}
    unallocated = pool_minor_units - total

    assert 0 <= leftover < n
    assert all(amount >= 0 for amount in amounts.values())
    assert sum(amounts.values()) == total
    assert total + unallocated == pool_minor_units and unallocated >= 0
    assert max(amounts.values()) - min(amounts.values()) <= 1
    return Allocation(amounts=amounts, allocated_minor_units=total, unallocated_minor_units=unallocated, share=share, n=n)


def canonical_manifest(
    *,
    quarter: str,
    methodology_version: str,
    thresholds: dict[str, str],
    pool_minor_units: int,
    currency: str,
    weight: Fraction,
    cap: Fraction,
    eligible: dict[str, list[int]],
    allocation: Allocation,
    record: Mapping[str, object] | None = None,
) -> Manifest:
    """Builds the (unsealed) manifest of a quarter; pass it to `seal` to add its `sha256`.

    `eligible` maps each eligible model slug to the evaluation ids behind its certification; they are
    written sorted. Ratios are written as exact Fraction strings ("3/100", "1"), so the manifest holds
    no floats. `allocation` must be exactly what `allocate` gives for this pool, weight, cap and
    eligible slugs: the manifest promises that anyone can recompute it.

    `record` adds what the seal covers beyond the rule's inputs (period, dates, rule version, and per model
    its version, owner, payout identity, certification and evaluations under `models`); it may not
    replace a rule field, and when it has `models` their keys and evaluation ids must be `eligible`'s.

    Raises ValueError on a malformed field (empty quarter or methodology version, a currency that is
    not three capital letters, non-str thresholds, non-int or repeated evaluation ids) or when
    `allocation` does not follow from the other fields.
    """
    if not isinstance(quarter, str) or not quarter:
        raise ValueError("quarter must be a non-empty string")
    if not isinstance(methodology_version, str) or not methodology_version:
        raise ValueError("methodology_version must be a non-empty string")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValueError(f"currency must be three capital letters (ISO 4217), got {currency!r}")
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in thresholds.items()):
        raise ValueError("thresholds must map str to str")
    evaluations = {slug: _sorted_evaluation_ids(slug, ids) for slug, ids in sorted(eligible.items())}

    expected = allocate(pool_minor_units=pool_minor_units, eligible=evaluations, weight=weight, cap=cap)
    if allocation != expected:
        raise ValueError("allocation does not follow from the pool, weight, cap and eligible models")

    manifest: Manifest = {
        "quarter": quarter,
        "methodology_version": methodology_version,
        "thresholds": dict(sorted(thresholds.items())),
        "pool_minor_units": pool_minor_units,
        "currency": currency,
        "weight": str(weight),
        "cap": str(cap),
        "share": str(allocation.share),
        "tie_break": TIE_BREAK,
        "eligible": evaluations,
        "allocations": dict(allocation.amounts),
        "allocated_minor_units": allocation.allocated_minor_units,
        "unallocated_minor_units": allocation.unallocated_minor_units,
    }
    if record:
        clashing = sorted(set(record) & set(manifest))
        if clashing or "sha256" in record:
            raise ValueError(f"record may not replace the rule's fields: {', '.join(clashing) or 'sha256'}")
        manifest.update(record)
        problem = _models_problem(manifest)
        if problem:
            raise ValueError(problem)
    return manifest


def manifest_bytes(manifest: Mapping[str, object]) -> bytes:
    """The canonical encoding: JSON with sorted keys, no spaces, raw UTF-8 (no \\u escapes).

    NaN and infinities are refused (ValueError) since they are not JSON.
    """
    text = json.dumps(dict(manifest), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def manifest_sha256(manifest: Mapping[str, object]) -> str:
    """Hex SHA-256 of the canonical bytes of `manifest` without its `sha256` key, if it has one."""
    unsealed = {key: value for key, value in manifest.items() if key != "sha256"}
    return hashlib.sha256(manifest_bytes(unsealed)).hexdigest()


def seal(manifest: Mapping[str, object]) -> Manifest:
    """Returns a copy of `manifest` with `sha256` set to `manifest_sha256(manifest)`; the input is untouched."""
    return {**manifest, "sha256": manifest_sha256(manifest)}


def verify(manifest: Mapping[str, object]) -> bool:
    """True when the manifest's `sha256` matches its contents and its allocations follow from its own fields.

    Recomputes `allocate` from `pool_minor_units`, `weight`, `cap` and the slugs of `eligible` alone and
    requires `allocations`, `allocated_minor_units`, `unallocated_minor_units`, `share` and `tie_break`
    to match exactly. A malformed manifest (missing field, wrong type, non-canonical ratio) is False,
    never an exception. Fields beyond these are covered by the hash only.
    """
    try:
        claimed = manifest.get("sha256")
        if not isinstance(claimed, str) or claimed != manifest_sha256(manifest):
            return False
        if manifest.get("tie_break") != TIE_BREAK:
            return False
        pool = manifest.get("pool_minor_units")
        if not _is_int(pool):
            return False
        weight = _parse_ratio(manifest.get("weight"))
        cap = _parse_ratio(manifest.get("cap"))
        eligible = manifest.get("eligible")
        if not isinstance(eligible, dict):
            return False
        for slug, ids in eligible.items():
            _sorted_evaluation_ids(slug, ids)
        expected = allocate(pool_minor_units=pool, eligible=eligible.keys(), weight=weight, cap=cap)
    except (TypeError, ValueError):
        return False

    allocations = manifest.get("allocations")
    return (
        isinstance(allocations, dict)
        and all(_is_int(amount) for amount in allocations.values())
        and allocations == expected.amounts
        and _is_int(manifest.get("allocated_minor_units"))
        and manifest.get("allocated_minor_units") == expected.allocated_minor_units
        and _is_int(manifest.get("unallocated_minor_units"))
        and manifest.get("unallocated_minor_units") == expected.unallocated_minor_units
        and manifest.get("share") == str(expected.share)
        and _models_problem(manifest) is None
    )


def verify_file(data: bytes, sha256: str) -> list[str]:
    """What is wrong with a downloaded `manifest.json` (its bytes) against the published `sha256`; [] when nothing.

    The file is the canonical bytes of the manifest without its `sha256` field, so its SHA-256 is the
    published one, re-encoding it gives the same bytes, and its allocations follow from its own fields.
    """
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        return [f"the file's SHA-256 is {digest}, not the published {sha256}"]
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ["the file is not UTF-8 JSON"]
    if not isinstance(manifest, dict):
        return ["the file is not a JSON object"]
    if manifest_bytes(manifest) != data:
        return ["the file is not in canonical form (sorted keys, no spaces, UTF-8)"]
    if not verify({**manifest, "sha256": sha256}):
        return ["the allocations do not follow from the manifest's own pool, weight, cap and eligible models"]
    return []


def _models_problem(manifest: Mapping[str, object]) -> str | None:
    """When a manifest carries per-model records, they must describe exactly the eligible models and evaluations."""
    models = manifest.get("models")
    if models is None:
        return None
    eligible = manifest.get("eligible")
    if not isinstance(models, dict) or not isinstance(eligible, dict) or set(models) != set(eligible):
        return "models must describe exactly the eligible models"
    for slug, entry in models.items():
        evaluations = entry.get("evaluations") if isinstance(entry, dict) else None
        if not isinstance(evaluations, list) or not all(isinstance(item, dict) for item in evaluations):
            return f"models.{slug}.evaluations must be a list of records"
        ids = [item.get("id") for item in evaluations]
        if not all(_is_int(evaluation_id) for evaluation_id in ids) or sorted(ids) != eligible[slug]:
            return f"models.{slug}.evaluations must be the evaluations listed under eligible"
    return None


def _check_pool(pool_minor_units: object) -> None:
    if not _is_int(pool_minor_units):
        raise ValueError(f"pool_minor_units must be an int, got {type(pool_minor_units).__name__}")
    if pool_minor_units < 0:
        raise ValueError(f"pool_minor_units must not be negative, got {pool_minor_units}")


def _check_ratio(name: str, value: object) -> None:
    # Floats and Decimals are refused outright: a ratio that is not exact cannot give reproducible amounts.
    if not isinstance(value, Fraction):
        raise ValueError(f"{name} must be a Fraction, got {type(value).__name__}")
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")


def _parse_ratio(text: object) -> Fraction:
    """Reads a ratio written by `canonical_manifest`; only the canonical spelling ("3/100", "1") is accepted."""
    if not isinstance(text, str):
        raise ValueError("a ratio must be a string")
    try:
        value = Fraction(text)
    except ZeroDivisionError as error:
        raise ValueError(f"invalid ratio {text!r}") from error
    if str(value) != text:
        raise ValueError(f"ratio {text!r} is not in canonical form {str(value)!r}")
    return value


def _sorted_distinct_slugs(eligible: Iterable[str]) -> list[str]:
    if isinstance(eligible, str):
        # A lone str is an Iterable[str] of characters; allocating to "a", "b", "c" is never what was meant.
        raise ValueError("eligible must be a collection of slugs, not a single string")
    slugs = list(eligible)
    if not all(isinstance(slug, str) and slug for slug in slugs):
        raise ValueError("every eligible slug must be a non-empty string")
    repeated = sorted(slug for slug, count in Counter(slugs).items() if count > 1)
    if repeated:
        raise ValueError(f"eligible slugs must be distinct; repeated: {', '.join(repeated)}")
    return sorted(slugs)


def _sorted_evaluation_ids(slug: object, ids: object) -> list[int]:
    if not isinstance(slug, str) or not slug:
        raise ValueError("every eligible slug must be a non-empty string")
    if not isinstance(ids, list) or not all(_is_int(evaluation_id) for evaluation_id in ids):
        raise ValueError(f"evaluation ids of {slug} must be a list of ints")
    ordered: list[int] = sorted(ids)
    if len(set(ordered)) != len(ordered):
        raise ValueError(f"evaluation ids of {slug} must be distinct")
    return ordered


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass in Python, but True is not an amount of money.
    return isinstance(value, int) and not isinstance(value, bool)
