"""Metrics as people read them: the catalogue's declaration (`metadata.portal.metrics`) applied to a run's
stored metrics — a label in the reader's language, a unit, one precision per metric, and which direction
is better. Run pages, the compare page, grade books and charts all format through here.

A declaration, per metric name (every key optional):

    {"label": {"en": "Dice score", "zh-hans": "Dice 系数"}, "unit": "%", "digits": 3, "higher_is_better": true}

Metrics a notebook reports without declaring them are still shown, under their own name, with up to four
significant digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

SPEC_KEYS = {"label", "unit", "digits", "higher_is_better"}


def spec_problems(declared: Any) -> list[str]:
    """What is wrong with a notebook's `metadata.portal.metrics` (an empty list when it is fine)."""
    if not isinstance(declared, dict):
        return ["metadata.portal.metrics must be an object of metric name → declaration"]
    problems = []
    for name, spec in declared.items():
        where = f"metadata.portal.metrics.{name}"
        if not isinstance(spec, dict):
            problems.append(f"{where} must be an object")
            continue
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            problems.append(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
        label = spec.get("label", name)
        if not (isinstance(label, str) or (isinstance(label, dict) and {"en", "zh-hans"} <= set(label))):
            problems.append(f"{where}.label must be text or {{'en': …, 'zh-hans': …}}")
        if not isinstance(spec.get("unit", ""), str):
            problems.append(f"{where}.unit must be text")
        digits = spec.get("digits", 3)
        if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 8:
            problems.append(f"{where}.digits must be a whole number from 0 to 8")
        if not isinstance(spec.get("higher_is_better", True), bool):
            problems.append(f"{where}.higher_is_better must be true or false")
    return problems


@dataclass(frozen=True)
class MetricValue:
    name: str
    label: str
    unit: str
    value: Any
    display: str
    higher_is_better: bool | None

    @property
    def number(self) -> float | None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            return None
        return float(self.value) if math.isfinite(self.value) else None


def _label(name: str, spec: Mapping[str, Any], language: str) -> str:
    label = spec.get("label", name)
    if isinstance(label, dict):
        return str(label["zh-hans"] if language.startswith("zh") else label["en"])
    return str(label)


def format_value(value: Any, spec: Mapping[str, Any] | None) -> str:
    """One metric value as text: the declared digits (locale separators), or 4 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int) and spec is not None and spec.get("digits", 0) == 0:
        return number_format(value, force_grouping=True)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return str(value)
        if spec is not None and "digits" in spec:
            return number_format(round(float(value), spec["digits"]), spec["digits"], force_grouping=True)
        if isinstance(value, int):
            return number_format(value, force_grouping=True)
        return f"{value:.4g}"
    return str(value)


def metric_values(
    declared: Mapping[str, Any] | None, metrics: Mapping[str, Any], language: str | None = None
) -> list[MetricValue]:
    """The run's metrics in the declared order (undeclared ones after, by name), labelled and formatted."""
    declared = declared if isinstance(declared, Mapping) else {}
    language = language or get_language() or "en"
    names = [name for name in declared if name in metrics] + sorted(name for name in metrics if name not in declared)
    values = []
    for name in names:
        spec = declared.get(name)
        spec_map: Mapping[str, Any] = spec if isinstance(spec, Mapping) else {}
        values.append(
            MetricValue(
                name=name,
                label=_label(name, spec_map, language),
                unit=str(spec_map.get("unit", "")),
                value=metrics[name],
                display=format_value(metrics[name], spec_map if spec is not None else None),
                higher_is_better=spec_map.get("higher_is_better") if spec is not None else None,
            )
        )
    return values


def run_metric_values(run: Any, language: str | None = None) -> list[MetricValue]:
    return metric_values(run.version.metadata.get("metrics"), run.metrics or {}, language)


@dataclass(frozen=True)
class CompareCell:
    display: str
    verdict: str  # "better" | "worse" | "same" | "" (not comparable, or the baseline itself)


@dataclass(frozen=True)
class CompareRow:
    section: str  # "parameter" | "metric"
    name: str
    label: str
    unit: str
    cells: list[CompareCell]
    differs: bool


def _verdict(number: float, baseline: float, *, higher_is_better: bool) -> str:
    if number == baseline:
        return "same"
    return "better" if (number > baseline) == higher_is_better else "worse"


def compare_rows(runs: Sequence[Any], language: str | None = None) -> list[CompareRow]:
    """Parameters and metrics of several runs side by side; each metric with a declared direction is
    marked better / worse / same against the first run (the baseline)."""
    if not runs:
        return []
    rows: list[CompareRow] = []
    parameter_names = sorted({name for run in runs for name in run.parameters})
    for name in parameter_names:
        values = [run.parameters.get(name) for run in runs]
        rows.append(
            CompareRow(
                section="parameter",
                name=name,
                label=name,
                unit="",
                cells=[CompareCell(display=format_value(value, None), verdict="") for value in values],
                differs=len({repr(value) for value in values}) > 1,
            )
        )
    per_run = [{value.name: value for value in run_metric_values(run, language)} for run in runs]
    order: list[str] = []
    for by_name in per_run:
        order.extend(name for name in by_name if name not in order)
    for name in order:
        found = [by_name.get(name) for by_name in per_run]
        model = next(value for value in found if value is not None)
        baseline = found[0].number if found[0] is not None else None
        cells = []
        for position, value in enumerate(found):
            number = value.number if value is not None else None
            verdict = ""
            if position and number is not None and baseline is not None and model.higher_is_better is not None:
                verdict = _verdict(number, baseline, higher_is_better=model.higher_is_better)
            cells.append(CompareCell(display=value.display if value is not None else "—", verdict=verdict))
        rows.append(
            CompareRow(
                section="metric",
                name=name,
                label=model.label,
                unit=model.unit,
                cells=cells,
                differs=len({cell.display for cell in cells}) > 1,
            )
        )
    return rows
