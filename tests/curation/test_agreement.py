"""Agreement statistics against published worked examples, plus properties that must hold for any input."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.agreement import (
    agreement,
    cohen_kappa,
    fleiss_category_kappa,
    fleiss_kappa,
    majority_label,
    percent_agreement,
)

# Fleiss (1971) as worked on Wikipedia ("Fleiss' kappa", worked example): 10 subjects, 14 raters, 5 categories.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
CATEGORIES = ["1", "2", "3", "4", "5"]


def _counts(table):
    return [{category: n for category, n in zip(CATEGORIES, row, strict=True) if n} for row in table]


def _ratings(table):
    """The same table as per-item annotator → label mappings (14 anonymous raters per subject)."""
    items = []
    for row in table:
        labels = [category for category, n in zip(CATEGORIES, row, strict=True) for _ in range(n)]
        items.append({f"r{index}": label for index, label in enumerate(labels)})
    return items


def test_fleiss_kappa_matches_the_worked_example():
    assert fleiss_kappa(_counts(FLEISS_TABLE)) == pytest.approx(0.210, abs=0.0005)


def test_percent_agreement_is_fleiss_mean_observed_agreement():
    # P̄ = 0.378 in the worked example.
    assert percent_agreement(_ratings(FLEISS_TABLE)) == pytest.approx(0.378, abs=0.0005)


def test_agreement_picks_fleiss_for_more_than_two_annotators():
    result = agreement(_ratings(FLEISS_TABLE))

    assert result.method == "fleiss"
    assert result.kappa == pytest.approx(0.210, abs=0.0005)
    assert result.items == 10
    assert [row.label for row in result.per_label] == CATEGORIES


def test_fleiss_category_kappas_match_fleiss_1971_definition():
    # κ_j = 1 − Σ n_ij(n − n_ij) / (N n (n − 1) p_j q_j), computed by hand from the table for category 1.
    counts = _counts(FLEISS_TABLE)
    p1 = 20 / 140
    disagreement = sum(row[0] * (14 - row[0]) for row in FLEISS_TABLE)
    expected = 1 - disagreement / (10 * 14 * 13 * p1 * (1 - p1))

    assert fleiss_category_kappa(counts, "1") == pytest.approx(expected)


def test_overall_fleiss_kappa_is_the_pq_weighted_mean_of_category_kappas():
    # Fleiss (1971): κ = Σ p_j q_j κ_j / Σ p_j q_j.
    counts = _counts(FLEISS_TABLE)
    shares = [sum(row[j] for row in FLEISS_TABLE) / 140 for j in range(5)]
    weights = [p * (1 - p) for p in shares]
    weighted = sum(w * fleiss_category_kappa(counts, c) for w, c in zip(weights, CATEGORIES, strict=True)) / sum(weights)

    assert weighted == pytest.approx(fleiss_kappa(counts))


def test_cohen_kappa_matches_the_worked_example():
    # Wikipedia "Cohen's kappa": 50 proposals, both yes 20, A yes/B no 5, A no/B yes 10, both no 15 → κ = 0.4.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15

    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_agreement_picks_cohen_for_two_annotators():
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    result = agreement([{"ann": a, "bob": b} for a, b in pairs])

    assert result.method == "cohen"
    assert result.kappa == pytest.approx(0.4)
    assert result.percent == pytest.approx(0.7)
    # With two labels, "yes against the rest" is the same table: the per-label κ equals the overall κ.
    assert {row.label: round(row.kappa, 6) for row in result.per_label} == {"no": 0.4, "yes": 0.4}


def test_majority_needs_more_than_half():
    assert majority_label(["a", "a", "b"]) == "a"
    assert majority_label(["a", "b"]) is None
    assert majority_label(["a", "b", "c", "a"]) is None
    assert majority_label([]) is None


labels = st.sampled_from(["cat", "dog", "bird"])
pair_lists = st.lists(st.tuples(labels, labels), min_size=1, max_size=40)
tables = st.lists(st.lists(labels, min_size=2, max_size=6), min_size=1, max_size=30)


@given(st.lists(labels, min_size=1, max_size=40))
def test_kappa_is_one_when_annotators_always_agree(values):
    assert cohen_kappa([(value, value) for value in values]) == 1.0
    assert fleiss_kappa([{value: 3} for value in values]) == 1.0


@given(pair_lists)
def test_cohen_kappa_is_symmetric_and_bounded(pairs):
    kappa = cohen_kappa(pairs)
    swapped = cohen_kappa([(b, a) for a, b in pairs])

    assert kappa == pytest.approx(swapped)
    assert -1.0 <= kappa <= 1.0


@given(tables)
def test_fleiss_kappa_is_bounded_and_ignores_annotator_order(rows):
    counts = [Counter(row) for row in rows]
    kappa = fleiss_kappa(counts)
    reversed_items = [{f"a{i}": label for i, label in enumerate(reversed(row))} for row in rows]

    assert -1.0 <= kappa <= 1.0
    assert agreement(reversed_items).kappa == pytest.approx(
        agreement([{f"a{i}": label for i, label in enumerate(row)} for row in rows]).kappa
    )


@given(tables)
def test_percent_agreement_is_a_share(rows):
    value = percent_agreement([{f"a{i}": label for i, label in enumerate(row)} for row in rows])

    assert 0.0 <= value <= 1.0
