"""The sponsorship allocation rule and the quarter manifest: worked examples, properties and tamper checks.

Pure functions; no database.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.sponsorship_rules import (
    TIE_BREAK,
    Allocation,
    allocate,
    canonical_manifest,
    manifest_bytes,
    manifest_sha256,
    seal,
    verify,
)

SEED_WEIGHT = Fraction(3, 100)
FULL_CAP = Fraction(1)
POOL = 1_000_000

MANY = settings(max_examples=3000, deadline=None)
SOME = settings(max_examples=300, deadline=None)


# --- strategies ------------------------------------------------------------------------------------


def _slugs(n: int, seed: int) -> list[str]:
    return [f"model-{number}" for number in random.Random(seed).sample(range(10**6), n)]


# Strategies are built once at import: rebuilding them inside every draw (st.composite, flatmap) costs more than the rule under test.
# A Fraction in (0, 1]: the seed's values and round percentages often, arbitrary ones otherwise.
ratios = st.one_of(
    st.sampled_from([SEED_WEIGHT, FULL_CAP, Fraction(1, 2), Fraction(1, 3), Fraction(99, 100)]),
    st.integers(1, 100).map(lambda percent: Fraction(percent, 100)),
    st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)).map(lambda pair: Fraction(min(pair), max(pair))),
)


def slug_lists(max_size: int = 500) -> st.SearchStrategy[list[str]]:
    """Between 0 and `max_size` distinct slugs in arbitrary order; numeric suffixes make str order differ from number order.

    The slugs come from a drawn seed rather than st.randoms(), which records every call and is slow at 500 slugs.
    """
    sizes = st.one_of(st.integers(0, max_size), st.sampled_from([0, 1, 2, 30, 33, 34, 43]))
    return st.builds(_slugs, sizes, st.integers(0, 2**32))


any_slugs = slug_lists()
pools = st.one_of(st.integers(0, 10**12), st.sampled_from([0, 1, 99, 100, POOL]))


def integer_oracle(pool: int, slugs: list[str], weight: Fraction, cap: Fraction) -> dict[str, int]:
    """The rule redone in plain integer arithmetic, as a second implementation to compare against."""
    n = len(slugs)
    if n == 0:
        return {}
    # share = min(weight, cap / n) as num / den; weight ≤ cap / n  ⇔  weight.num · n · cap.den ≤ cap.num · weight.den
    if weight.numerator * n * cap.denominator <= cap.numerator * weight.denominator:
        num, den = weight.numerator, weight.denominator
    else:
        num, den = cap.numerator, cap.denominator * n
    base = pool * num // den
    leftover = pool * num * n // den - n * base
    return {slug: base + (rank < leftover) for rank, slug in enumerate(sorted(slugs))}


# --- worked examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "share", "amounts_and_counts", "allocated", "unallocated"),
    [
        # 30 × 3 % = 90 %: the weight binds and 10 % stays in the pool.
        (30, Fraction(3, 100), {30_000: 30}, 900_000, 100_000),
        # 33 × 3 % = 99 % ≤ 100 %: still the weight.
        (33, Fraction(3, 100), {30_000: 33}, 990_000, 10_000),
        # 34 × 3 % = 102 % > 100 %: the cap binds, 1/34 each; 1,000,000 = 34 × 29,411 + 26.
        (34, Fraction(1, 34), {29_412: 26, 29_411: 8}, 1_000_000, 0),
        # The seed's 43 certified models: 1,000,000 = 43 × 23,255 + 35.
        (43, Fraction(1, 43), {23_256: 35, 23_255: 8}, 1_000_000, 0),
    ],
)
def test_worked_examples_from_the_product_brief(n, share, amounts_and_counts, allocated, unallocated):
    slugs = [f"model-{index:02d}" for index in range(n)]

    result = allocate(pool_minor_units=POOL, eligible=slugs, weight=SEED_WEIGHT, cap=FULL_CAP)

    assert result.n == n
    assert result.share == share
    assert result.allocated_minor_units == allocated
    assert result.unallocated_minor_units == unallocated
    assert {amount: list(result.amounts.values()).count(amount) for amount in set(result.amounts.values())} == amounts_and_counts
    # The extra units go to the smallest slugs.
    assert list(result.amounts.values()) == sorted(result.amounts.values(), reverse=True)


def test_thirty_models_get_three_percent_each_and_ten_percent_is_reported_unallocated():
    result = allocate(pool_minor_units=POOL, eligible=[f"m{i}" for i in range(30)], weight=SEED_WEIGHT, cap=FULL_CAP)

    assert set(result.amounts.values()) == {POOL * 3 // 100}
    assert result.allocated_minor_units * 10 == POOL * 9
    assert result.unallocated_minor_units * 10 == POOL


def test_the_cap_starts_binding_between_33_and_34_models():
    at_33 = allocate(pool_minor_units=POOL, eligible=[f"m{i}" for i in range(33)], weight=SEED_WEIGHT, cap=FULL_CAP)
    at_34 = allocate(pool_minor_units=POOL, eligible=[f"m{i}" for i in range(34)], weight=SEED_WEIGHT, cap=FULL_CAP)

    assert at_33.share == SEED_WEIGHT and at_33.share * 33 == Fraction(99, 100)
    assert at_34.share == Fraction(1, 34) < SEED_WEIGHT


def test_leftover_units_go_to_slugs_in_ascending_order_whatever_the_input_order():
    # 10 minor units over 3 models at 1/3 each: 3 each, one left over, which "alpha" gets.
    result = allocate(pool_minor_units=10, eligible=["gamma", "alpha", "beta"], weight=Fraction(1, 2), cap=FULL_CAP)

    assert result.amounts == {"alpha": 4, "beta": 3, "gamma": 3}
    assert list(result.amounts) == ["alpha", "beta", "gamma"]
    assert result.unallocated_minor_units == 0


def test_slugs_order_by_code_point_so_numbers_sort_as_text():
    result = allocate(pool_minor_units=11, eligible=["m9", "m10", "m2"], weight=FULL_CAP, cap=FULL_CAP)

    assert list(result.amounts) == ["m10", "m2", "m9"]
    assert result.amounts == {"m10": 4, "m2": 4, "m9": 3}


def test_no_eligible_model_allocates_nothing():
    result = allocate(pool_minor_units=POOL, eligible=[], weight=SEED_WEIGHT, cap=FULL_CAP)

    assert result == Allocation(amounts={}, allocated_minor_units=0, unallocated_minor_units=POOL, share=Fraction(0), n=0)
    assert result.pool_minor_units == POOL


def test_an_empty_pool_allocates_zero_to_everyone():
    result = allocate(pool_minor_units=0, eligible=["a", "b"], weight=SEED_WEIGHT, cap=FULL_CAP)

    assert result.amounts == {"a": 0, "b": 0}
    assert (result.allocated_minor_units, result.unallocated_minor_units) == (0, 0)


def test_eligible_may_be_any_iterable_including_a_one_shot_generator():
    result = allocate(pool_minor_units=100, eligible=(slug for slug in ["b", "a"]), weight=SEED_WEIGHT, cap=FULL_CAP)

    assert result.amounts == {"a": 3, "b": 3}


# --- invalid input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", [-1, -(10**12), True, False, 1.0, 1e6, Decimal(100), Fraction(100), "100", None])
def test_pool_must_be_a_non_negative_int(pool):
    with pytest.raises(ValueError, match="pool_minor_units"):
        allocate(pool_minor_units=pool, eligible=["a"], weight=SEED_WEIGHT, cap=FULL_CAP)


@pytest.mark.parametrize("name", ["weight", "cap"])
@pytest.mark.parametrize(
    "value", [Fraction(0), Fraction(-3, 100), Fraction(101, 100), Fraction(2), 0.03, 1.0, Decimal("0.03"), 1, True, "3/100", None]
)
def test_weight_and_cap_must_be_fractions_in_the_half_open_unit_interval(name, value):
    arguments = {"weight": SEED_WEIGHT, "cap": FULL_CAP, name: value}

    with pytest.raises(ValueError, match=name):
        allocate(pool_minor_units=POOL, eligible=["a"], **arguments)


def test_duplicate_slugs_are_an_error_naming_them():
    with pytest.raises(ValueError, match="repeated: a, c"):
        allocate(pool_minor_units=POOL, eligible=["c", "a", "b", "a", "c"], weight=SEED_WEIGHT, cap=FULL_CAP)


@pytest.mark.parametrize("eligible", ["abc", ["a", ""], ["a", None], ["a", 1]])
def test_slugs_must_be_non_empty_strings_in_a_collection(eligible):
    with pytest.raises(ValueError, match="eligible"):
        allocate(pool_minor_units=POOL, eligible=eligible, weight=SEED_WEIGHT, cap=FULL_CAP)


# --- properties of allocate ------------------------------------------------------------------------


@MANY
@given(pool=pools, slugs=any_slugs, weight=ratios, cap=ratios)
def test_allocation_is_never_negative_conserves_the_pool_and_gives_extra_units_to_the_smallest_slugs(pool, slugs, weight, cap):
    result = allocate(pool_minor_units=pool, eligible=slugs, weight=weight, cap=cap)

    assert all(type(amount) is int and amount >= 0 for amount in result.amounts.values())
    assert sum(result.amounts.values()) == result.allocated_minor_units
    assert result.allocated_minor_units + result.unallocated_minor_units == pool
    assert result.unallocated_minor_units >= 0
    assert result.n == len(slugs)
    assert list(result.amounts) == sorted(slugs)

    # Equal shares to the unit, extra units on the smallest slugs.
    in_slug_order = [result.amounts[slug] for slug in sorted(slugs)]
    if slugs:
        assert max(in_slug_order) - min(in_slug_order) <= 1
        # Non-increasing along ascending slugs: every model holding an extra unit precedes every model without one.
        assert in_slug_order == sorted(in_slug_order, reverse=True)
        assert min(in_slug_order) == math.floor(pool * result.share)
        assert result.share == min(weight, cap / len(slugs))


@MANY
@given(pool=pools, slugs=any_slugs, weight=ratios, cap=ratios, seed=st.integers(0, 2**32))
def test_result_is_independent_of_input_order_and_identical_when_recomputed(pool, slugs, weight, cap, seed):
    shuffled = random.Random(seed).sample(slugs, len(slugs))

    first = allocate(pool_minor_units=pool, eligible=slugs, weight=weight, cap=cap)
    again = allocate(pool_minor_units=pool, eligible=slugs, weight=weight, cap=cap)
    reordered = allocate(pool_minor_units=pool, eligible=shuffled, weight=weight, cap=cap)
    as_set = allocate(pool_minor_units=pool, eligible=frozenset(slugs), weight=weight, cap=cap)

    assert first == again == reordered == as_set
    assert list(first.amounts) == list(reordered.amounts)


@MANY
@given(pool=pools, slugs=any_slugs, weight=ratios, cap=ratios)
def test_allocation_matches_an_integer_only_reimplementation_and_never_exceeds_weight_or_cap(pool, slugs, weight, cap):
    result = allocate(pool_minor_units=pool, eligible=slugs, weight=weight, cap=cap)
    n = len(slugs)

    assert result.amounts == integer_oracle(pool, slugs, weight, cap)
    # In total the models take ⌊pool × min(n × weight, cap)⌋: never more than the cap, never more than n weights.
    expected_total = math.floor(pool * min(n * weight, cap)) if n else 0
    assert result.allocated_minor_units == expected_total
    assert result.allocated_minor_units <= pool * cap
    assert all(amount <= math.ceil(pool * weight) for amount in result.amounts.values())


# --- manifest --------------------------------------------------------------------------------------


def _manifest_for(pool: int, eligible: dict[str, list[int]], weight: Fraction = SEED_WEIGHT, cap: Fraction = FULL_CAP, **extra):
    fields: dict[str, Any] = {
        "quarter": "2026Q4",
        "methodology_version": "health-v1",
        "thresholds": {"health_min": "70", "audits_min": "1"},
        "currency": "CNY",
    }
    fields.update(extra)
    allocation = allocate(pool_minor_units=pool, eligible=eligible, weight=weight, cap=cap)
    return canonical_manifest(pool_minor_units=pool, weight=weight, cap=cap, eligible=eligible, allocation=allocation, **fields)


SMALL_ELIGIBLE = {"qwen-go3s": [12, 3], "baichuan-go3s": [7]}


def test_manifest_holds_every_published_field_with_exact_ratio_strings():
    manifest = _manifest_for(100, SMALL_ELIGIBLE)

    assert manifest == {
        "quarter": "2026Q4",
        "methodology_version": "health-v1",
        "thresholds": {"audits_min": "1", "health_min": "70"},
        "pool_minor_units": 100,
        "currency": "CNY",
        "weight": "3/100",
        "cap": "1",
        "share": "3/100",
        "tie_break": "model slug ascending",
        "eligible": {"baichuan-go3s": [7], "qwen-go3s": [3, 12]},
        "allocations": {"baichuan-go3s": 3, "qwen-go3s": 3},
        "allocated_minor_units": 6,
        "unallocated_minor_units": 94,
    }
    assert manifest["tie_break"] == TIE_BREAK


def test_canonical_bytes_are_sorted_compact_utf8_json():
    manifest = _manifest_for(100, SMALL_ELIGIBLE, thresholds={"说明": "健康分 ≥ 70"})

    expected = (
        '{"allocated_minor_units":6,"allocations":{"baichuan-go3s":3,"qwen-go3s":3},"cap":"1","currency":"CNY",'
        '"eligible":{"baichuan-go3s":[7],"qwen-go3s":[3,12]},"methodology_version":"health-v1","pool_minor_units":100,'
        '"quarter":"2026Q4","share":"3/100","thresholds":{"说明":"健康分 ≥ 70"},"tie_break":"model slug ascending",'
        '"unallocated_minor_units":94,"weight":"3/100"}'
    ).encode()
    assert manifest_bytes(manifest) == expected
    assert manifest_sha256(manifest) == hashlib.sha256(expected).hexdigest()


def test_canonical_bytes_do_not_depend_on_the_order_fields_were_given_in():
    one = _manifest_for(POOL, {"b": [2, 1], "a": [5]}, thresholds={"x": "1", "y": "2"})
    other = _manifest_for(POOL, {"a": [5], "b": [1, 2]}, thresholds={"y": "2", "x": "1"})

    assert manifest_bytes(one) == manifest_bytes(other)
    assert manifest_bytes(dict(reversed(list(one.items())))) == manifest_bytes(one)


def test_seal_adds_the_sha256_of_the_manifest_without_that_field_and_leaves_the_input_alone():
    manifest = _manifest_for(POOL, SMALL_ELIGIBLE)
    before = manifest_bytes(manifest)

    sealed = seal(manifest)

    assert "sha256" not in manifest and manifest_bytes(manifest) == before
    assert sealed["sha256"] == hashlib.sha256(before).hexdigest()
    assert manifest_sha256(sealed) == sealed["sha256"]
    assert seal(sealed) == sealed
    assert verify(sealed)


def test_a_manifest_survives_a_json_round_trip_and_still_verifies():
    sealed = seal(_manifest_for(POOL, {f"model-{i:02d}": [i, i + 100] for i in range(43)}))

    reloaded = json.loads(manifest_bytes(sealed).decode("utf-8"))

    assert verify(reloaded)
    assert manifest_bytes(reloaded) == manifest_bytes(sealed)


def test_allocations_can_be_recomputed_from_the_manifest_alone():
    sealed = seal(_manifest_for(POOL, {f"model-{i:02d}": [i] for i in range(43)}))
    published = json.loads(manifest_bytes(sealed))

    recomputed = allocate(
        pool_minor_units=published["pool_minor_units"],
        eligible=published["eligible"].keys(),
        weight=Fraction(published["weight"]),
        cap=Fraction(published["cap"]),
    )

    assert recomputed.amounts == published["allocations"]
    assert recomputed.unallocated_minor_units == published["unallocated_minor_units"] == 0


def _tampered(manifest, change):
    copy = json.loads(manifest_bytes(manifest))
    change(copy)
    return copy


def _bump_first_allocation(m):
    m["allocations"][next(iter(m["allocations"]))] += 1


def _move_a_unit_between_models(m):
    first, second = list(m["allocations"])[:2]
    m["allocations"][first] -= 1
    m["allocations"][second] += 1


def _drop_a_model(m):
    slug = next(iter(m["eligible"]))
    del m["eligible"][slug]
    del m["allocations"][slug]


def _add_a_model(m):
    m["eligible"]["zz-newcomer"] = [999]
    m["allocations"]["zz-newcomer"] = 0


TAMPERINGS = {
    "an allocation raised": _bump_first_allocation,
    "a unit moved between models": _move_a_unit_between_models,
    "pool raised": lambda m: m.update(pool_minor_units=m["pool_minor_units"] + 1),
    "pool lowered": lambda m: m.update(pool_minor_units=m["pool_minor_units"] - 1),
    "pool doubled": lambda m: m.update(pool_minor_units=m["pool_minor_units"] * 2),
    "weight changed": lambda m: m.update(weight="4/100"),
    "weight as a float": lambda m: m.update(weight=0.03),
    "weight non-canonical": lambda m: m.update(weight="0.03"),
    "cap lowered": lambda m: m.update(cap="1/20"),
    "unallocated changed": lambda m: m.update(unallocated_minor_units=m["unallocated_minor_units"] + 1),
    "allocated changed": lambda m: m.update(allocated_minor_units=m["allocated_minor_units"] - 1),
    "allocation as a bool": lambda m: m["allocations"].update({next(iter(m["allocations"])): True}),
    "a model dropped": _drop_a_model,
    "a model added": _add_a_model,
    "tie-break changed": lambda m: m.update(tie_break="model slug descending"),
    "share changed": lambda m: m.update(share="1/30"),
}


@pytest.mark.parametrize("change", TAMPERINGS.values(), ids=TAMPERINGS.keys())
@pytest.mark.parametrize("models", [3, 30, 34])
def test_tampering_fails_verification_even_when_the_hash_is_recomputed(change, models):
    # Both the weight-bound (3, 30 models) and the cap-bound (34 models, with leftover units) cases.
    sealed = seal(_manifest_for(POOL + 1, {f"model-{i:02d}": [i] for i in range(models)}))
    assert verify(sealed)

    tampered = _tampered(sealed, change)

    assert not verify(tampered), "the stale sha256 must not match"
    assert not verify(seal(tampered)), "the allocations must not follow from the tampered fields"


def test_pool_raised_by_one_unit_keeps_the_amounts_but_not_the_unallocated_remainder():
    # 30 × 3 % of 1,000,000 and of 1,000,001 both give 30,000 each; only the unallocated figure can tell them apart.
    sealed = seal(_manifest_for(POOL, {f"model-{i:02d}": [i] for i in range(30)}))
    resealed = seal(_tampered(sealed, lambda m: m.update(pool_minor_units=POOL + 1)))

    assert (
        allocate(pool_minor_units=POOL + 1, eligible=resealed["eligible"], weight=SEED_WEIGHT, cap=FULL_CAP).amounts
        == (resealed["allocations"])
    )
    assert not verify(resealed)


def test_changed_evaluation_ids_or_thresholds_break_the_hash():
    sealed = seal(_manifest_for(POOL, SMALL_ELIGIBLE))

    assert not verify(_tampered(sealed, lambda m: m["eligible"]["qwen-go3s"].append(13)))
    assert not verify(_tampered(sealed, lambda m: m["thresholds"].update(health_min="60")))
    assert not verify(_tampered(sealed, lambda m: m.update(quarter="2027Q1")))


@pytest.mark.parametrize(
    "manifest",
    [
        {},
        {"sha256": 5},
        seal({"tie_break": TIE_BREAK}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": 1, "weight": "1/0", "cap": "1", "eligible": {}}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": 1, "weight": "1", "cap": "1", "eligible": []}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": 1, "weight": "1", "cap": "1", "eligible": {"a": "7"}}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": 1, "weight": "1", "cap": "1", "eligible": {"a": [1, 1]}}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": -1, "weight": "1", "cap": "1", "eligible": {}}),
        seal({"tie_break": TIE_BREAK, "pool_minor_units": 1, "weight": "1", "cap": "1", "eligible": {}}),
    ],
)
def test_malformed_manifests_are_false_not_an_exception(manifest):
    assert verify(manifest) is False


def test_a_manifest_with_a_fabricated_allocation_cannot_be_built():
    right = allocate(pool_minor_units=POOL, eligible=SMALL_ELIGIBLE, weight=SEED_WEIGHT, cap=FULL_CAP)
    wrong = Allocation(
        amounts={"baichuan-go3s": 30_001, "qwen-go3s": 29_999},
        allocated_minor_units=right.allocated_minor_units,
        unallocated_minor_units=right.unallocated_minor_units,
        share=right.share,
        n=right.n,
    )
    other_pool = allocate(pool_minor_units=POOL * 2, eligible=SMALL_ELIGIBLE, weight=SEED_WEIGHT, cap=FULL_CAP)

    for allocation in (wrong, other_pool):
        with pytest.raises(ValueError, match="allocation does not follow"):
            canonical_manifest(
                quarter="2026Q4",
                methodology_version="health-v1",
                thresholds={},
                pool_minor_units=POOL,
                currency="CNY",
                weight=SEED_WEIGHT,
                cap=FULL_CAP,
                eligible=SMALL_ELIGIBLE,
                allocation=allocation,
            )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quarter", "", "quarter"),
        ("methodology_version", "", "methodology_version"),
        ("currency", "cny", "currency"),
        ("currency", "YUAN", "currency"),
        ("thresholds", {"health_min": 70}, "thresholds"),
    ],
)
def test_canonical_manifest_rejects_malformed_fields(field, value, message):
    with pytest.raises(ValueError, match=message):
        _manifest_for(POOL, SMALL_ELIGIBLE, **{field: value})


@pytest.mark.parametrize("ids", [[1, 1], [1.0], [True], "7", None])
def test_canonical_manifest_rejects_malformed_evaluation_ids(ids):
    with pytest.raises(ValueError, match="evaluation ids of a"):
        _manifest_for(POOL, {"a": ids})


DELTAS = st.sampled_from([-1, 1, 2, -(10**6)])


@SOME
@given(pool=pools, slugs=slug_lists(max_size=60), weight=ratios, cap=ratios, data=st.data())
def test_any_sealed_manifest_verifies_and_any_changed_allocation_does_not(pool, slugs, weight, cap, data):
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    eligible = {slug: rng.sample(range(1, 10**9), rng.randint(0, 3)) for slug in slugs}
    sealed = seal(_manifest_for(pool, eligible, weight=weight, cap=cap))
    reloaded = json.loads(manifest_bytes(sealed))

    assert verify(sealed) and verify(reloaded)
    assert manifest_bytes(reloaded) == manifest_bytes(sealed)
    assert reloaded["allocations"] == allocate(pool_minor_units=pool, eligible=slugs, weight=weight, cap=cap).amounts

    if slugs:
        victim = sorted(slugs)[data.draw(st.integers(0, len(slugs) - 1))]
        delta = data.draw(DELTAS)
        changed = _tampered(sealed, lambda m: m["allocations"].update({victim: m["allocations"][victim] + delta}))
        assert not verify(changed)
        assert not verify(seal(changed))
    other_pool = (pool + data.draw(st.integers(1, 10**12))) % (10**12 + 1)
    assert not verify(seal(_tampered(sealed, lambda m: m.update(pool_minor_units=other_pool))))


def test_order_of_slugs_in_a_shuffled_manifest_does_not_matter_to_verify():
    sealed = seal(_manifest_for(POOL, {f"model-{i}": [i] for i in range(43)}))
    reordered = json.loads(manifest_bytes(sealed))
    slugs = list(reordered["allocations"])
    random.Random(7).shuffle(slugs)
    reordered["allocations"] = {slug: reordered["allocations"][slug] for slug in slugs}
    reordered["eligible"] = {slug: reordered["eligible"][slug] for slug in slugs}

    assert verify(reordered)
