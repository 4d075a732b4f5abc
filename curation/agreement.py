"""Inter-annotator agreement: raw percent agreement, Cohen's κ (two annotators) and Fleiss' κ (more).

Pure functions over plain data, no database: `ratings` is one mapping per item, annotator → label.

- Percent agreement is the mean, over items with at least two labels, of the share of annotator pairs
  that agree on the item (for two annotators: the share of items they agree on).
- Cohen's κ (1960) compares two annotators: (pₒ − pₑ) / (1 − pₑ) with pₑ from each one's own label
  frequencies; only items both labelled count.
- Fleiss' κ (1971) for any number of annotators per item, with Fleiss' per-category κⱼ. Items may have
  different numbers of labels (at least two count); with a constant number it is exactly Fleiss' formula.
- Where agreement is perfect and only one label was ever used, κ is 0/0; we report 1.0 (nobody disagreed).
- Per label: Cohen's κ of "this label or not" for two annotators, Fleiss' κⱼ for more, and the share of
  items using the label on which every annotator used it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Ratings = Sequence[Mapping[str, str]]

COHEN = "cohen"
FLEISS = "fleiss"
NONE = "none"


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    kappa: float | None
    unanimous_percent: float | None
    uses: int


@dataclass(frozen=True)
class Agreement:
    method: str
    items: int
    annotators: int
    percent: float | None
    kappa: float | None
    per_label: list[LabelAgreement] = field(default_factory=list)


def _kappa(observed: float, expected: float) -> float:
    if expected >= 1.0:
        return 1.0  # one label only, and (necessarily) full agreement
    value = (observed - expected) / (1.0 - expected)
    return max(-1.0, min(1.0, value))  # clamp float noise only; the formulas stay within [-1, 1] here


def majority_label(labels: Sequence[str]) -> str | None:
    """The label more than half of the annotators chose, or None (a tie or a plurality is no majority)."""
    if not labels:
        return None
    label, count = Counter(labels).most_common(1)[0]
    return label if count * 2 > len(labels) else None


def percent_agreement(ratings: Ratings) -> float | None:
    shares = []
    for item in ratings:
        counts = Counter(item.values())
        n = sum(counts.values())
        if n < 2:
            continue
        shares.append(sum(c * (c - 1) for c in counts.values()) / (n * (n - 1)))
    return sum(shares) / len(shares) if shares else None


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's κ of two annotators' labels on the same items; None without items."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in set(first) | set(second)) / (n * n)
    return _kappa(observed, expected)


def fleiss_kappa(counts: Sequence[Mapping[str, int]]) -> float | None:
    """Fleiss' κ from per-item label counts (label → how many annotators chose it); None without items."""
    rows = [row for row in counts if sum(row.values()) >= 2]
    if not rows:
        return None
    agreement_per_item = []
    totals: Counter[str] = Counter()
    for row in rows:
        n = sum(row.values())
        agreement_per_item.append(sum(c * (c - 1) for c in row.values()) / (n * (n - 1)))
        totals.update(row)
    ratings = sum(totals.values())
    observed = sum(agreement_per_item) / len(rows)
    expected = sum((total / ratings) ** 2 for total in totals.values())
    return _kappa(observed, expected)


def fleiss_category_kappa(counts: Sequence[Mapping[str, int]], label: str) -> float | None:
    """Fleiss' κⱼ for one label: 1 − Σ nᵢⱼ(nᵢ − nᵢⱼ) / (Σ nᵢ(nᵢ − 1) · pⱼ qⱼ)."""
    rows = [row for row in counts if sum(row.values()) >= 2]
    if not rows:
        return None
    ratings = sum(sum(row.values()) for row in rows)
    p = sum(row.get(label, 0) for row in rows) / ratings
    if p in (0.0, 1.0):
        return 1.0 if p == 1.0 else None
    disagreement = sum(row.get(label, 0) * (sum(row.values()) - row.get(label, 0)) for row in rows)
    pairs = sum(sum(row.values()) * (sum(row.values()) - 1) for row in rows)
    return max(-1.0, min(1.0, 1.0 - disagreement / (pairs * p * (1.0 - p))))


def agreement(ratings: Ratings) -> Agreement:
    """Overall and per-label agreement; Cohen's κ when exactly two annotators labelled, Fleiss' κ otherwise."""
    annotators = sorted({name for item in ratings for name in item})
    rated = [item for item in ratings if len(item) >= 2]
    labels = sorted({label for item in ratings for label in item.values()})
    if not rated:
        return Agreement(method=NONE, items=0, annotators=len(annotators), percent=None, kappa=None)
    counts = [Counter(item.values()) for item in rated]
    per_label = []
    if len(annotators) == 2:
        a, b = annotators
        pairs = [(item[a], item[b]) for item in rated]
        kappa = cohen_kappa(pairs)
        method = COHEN
    else:
        kappa = fleiss_kappa(counts)
        method = FLEISS
    for label in labels:
        using = [row for row in counts if row.get(label)]
        unanimous = sum(1 for row in using if row[label] == sum(row.values()))
        if method == COHEN:
            label_kappa = cohen_kappa([(str(x == label), str(y == label)) for x, y in pairs])
        else:
            label_kappa = fleiss_category_kappa(counts, label)
        per_label.append(
            LabelAgreement(
                label=label,
                kappa=label_kappa,
                unanimous_percent=unanimous / len(using) if using else None,
                uses=sum(row.get(label, 0) for row in counts),
            )
        )
    return Agreement(
        method=method,
        items=len(rated),
        annotators=len(annotators),
        percent=percent_agreement(rated),
        kappa=kappa,
        per_label=per_label,
    )
