"""Model health methodologies: thresholds, units and notebooks per version, in one place (the methodology pages state them).

v1 and v2 share the thresholds and units; v2 measures with other notebooks (catalogue/evaluation/METHODOLOGY-v2.md).
Every evaluation, evaluation run and certification names the version it was measured or granted under; v1 records
stay readable, and new evaluations are measured under `VERSION`, the current one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from governance.models import Dimension

VERSIONS = ("v1", "v2")  # oldest first
VERSION = "v2"  # what new evaluations are measured under
CERTIFICATION_DAYS = 180  # a certification lasts this long from its newest counted value (every version)


@dataclass(frozen=True)
class Threshold:
    dimension: str
    notebook: str
    unit: str
    comparison: str  # how a passing value compares with the limit
    limit: Decimal

    def passes(self, value: Decimal) -> bool:
        return {"<": value < self.limit, ">=": value >= self.limit, "<=": value <= self.limit}[self.comparison]

    @property
    def text(self) -> str:
        return f"{self.comparison} {self.limit}"


def _thresholds(e1: str, e2: str, e3: str) -> dict[str, Threshold]:
    return {
        Dimension.ROBUSTNESS: Threshold(Dimension.ROBUSTNESS, e1, "percent", "<", Decimal(5)),
        Dimension.EXPLAINABILITY: Threshold(Dimension.EXPLAINABILITY, e2, "percent", ">=", Decimal(82)),
        Dimension.ENERGY: Threshold(Dimension.ENERGY, e3, "g_co2e_per_1k_inferences", "<=", Decimal("0.18")),
    }


THRESHOLDS_BY_VERSION: dict[str, dict[str, Threshold]] = {
    "v1": _thresholds("e1-robustness-fgsm", "e2-explainability-lime", "e3-energy-codecarbon"),
    "v2": _thresholds("e1-robustness-v2", "e2-explainability-v2", "e3-energy-v2"),
}
THRESHOLDS: dict[str, Threshold] = THRESHOLDS_BY_VERSION[VERSION]
DIMENSIONS = [Dimension.ROBUSTNESS, Dimension.EXPLAINABILITY, Dimension.ENERGY]


def thresholds_for_manifest() -> dict[str, str]:
    return {dimension: f"{THRESHOLDS[dimension].text} {THRESHOLDS[dimension].unit}" for dimension in DIMENSIONS}
