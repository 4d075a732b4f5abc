"""Model health methodology v1: the thresholds and units, in one place (the methodology page states them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from governance.models import Dimension

VERSION = "v1"


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


THRESHOLDS: dict[str, Threshold] = {
    Dimension.ROBUSTNESS: Threshold(Dimension.ROBUSTNESS, "e1-robustness-fgsm", "percent", "<", Decimal(5)),
    Dimension.EXPLAINABILITY: Threshold(Dimension.EXPLAINABILITY, "e2-explainability-lime", "percent", ">=", Decimal(82)),
    Dimension.ENERGY: Threshold(Dimension.ENERGY, "e3-energy-codecarbon", "g_co2e_per_1k_inferences", "<=", Decimal("0.18")),
}
DIMENSIONS = [Dimension.ROBUSTNESS, Dimension.EXPLAINABILITY, Dimension.ENERGY]


def thresholds_for_manifest() -> dict[str, str]:
    return {dimension: f"{THRESHOLDS[dimension].text} {THRESHOLDS[dimension].unit}" for dimension in DIMENSIONS}
