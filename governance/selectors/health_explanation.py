"""Why is this model (not) certified: per dimension the counted value, threshold, margin, history, methodology
version, run and evidence, and one sentence that answers the question (the public health page, #15 item 8)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.charts import Chart, metric_over_time
from governance.methodology import DIMENSIONS, THRESHOLDS
from governance.models import Dimension, Evaluation, ModelVersion
from governance.selectors.quarter_evidence import file_sha256


@dataclass(frozen=True)
class HistoryPoint:
    """What `metric_over_time` draws: one counted value; failing values are marked like regressions."""

    pk: int
    recorded_at: datetime
    value: float
    runner_class: str
    is_regression: bool


def margin(dimension: str, value: Decimal) -> Decimal:
    """Distance to the threshold in the passing direction: positive passes with room to spare, negative fails.

    Strict comparisons (robustness < 5 %) fail at a margin of exactly 0.
    """
    threshold = THRESHOLDS[dimension]
    return value - threshold.limit if threshold.comparison == ">=" else threshold.limit - value


def _digits(dimension: str) -> int:
    return 6 if dimension == Dimension.ENERGY else 4


def _number(dimension: str, value: Decimal) -> str:
    text = f"{value:.{_digits(dimension)}f}".rstrip("0").rstrip(".")
    return text or "0"


def evidence_name(evaluation: Evaluation) -> str:
    """The stored file a counted value rests on: its run's output notebook, else its evidence file ("" for none)."""
    run_output = evaluation.run.output_notebook.name if evaluation.run_id and evaluation.run else ""
    return run_output or evaluation.evidence_file.name or ""


EXPLAINED_FIELDS = (
    "id",
    "version_id",
    "dimension",
    "value",
    "provenance",
    "status",
    "methodology_version",
    "estimated",
    "evidence_file",
    "measured_at",
    "run__output_notebook",
    "reviewed_by__username",
)
"""The columns of a counted value that `dimension_explanations` and the health page's "why" table read."""


def _provenance(evaluation: Evaluation) -> str:
    if evaluation.provenance == Evaluation.Provenance.VERIFIED:
        return _("verified: measured by a portal run")
    return _("community-reported, accepted by a second auditor")


def dimension_explanations(version: ModelVersion | None) -> list[dict[str, Any]]:
    """Per dimension: the latest counted value with its evidence, the margin, and the history chart."""
    counted: dict[str, list[Evaluation]] = {dimension: [] for dimension in DIMENSIONS}
    unverified: dict[str, Decimal] = {}
    if version is not None:
        for dimension, value in (
            Evaluation.objects.filter(version=version, status=Evaluation.Status.PENDING)
            .order_by("measured_at", "id")
            .values_list("dimension", "value")
        ):
            unverified[dimension] = value  # the newest wins
        # Only what the explanation and the health page's "why" table read of up to 600 rows: not the values'
        # metrics (JSON) and notes, nor the wide run row beyond its output notebook.
        for evaluation in (
            Evaluation.objects.filter(version=version, status=Evaluation.Status.COUNTED)
            .select_related("run", "reviewed_by")
            .only(*EXPLAINED_FIELDS)
            .order_by("-measured_at", "-id")[:600]
        ):
            counted[evaluation.dimension].append(evaluation)
    explanations = []
    for dimension in DIMENSIONS:
        threshold = THRESHOLDS[dimension]
        history = counted[dimension]
        latest = history[0] if history else None
        points: Sequence[HistoryPoint] = [
            HistoryPoint(
                pk=item.pk,
                recorded_at=item.measured_at,
                value=float(item.value),
                runner_class=str(item.get_provenance_display()),
                is_regression=not threshold.passes(item.value),
            )
            for item in history
        ]
        chart: Chart | None = metric_over_time(points) if len(points) > 1 else None
        name = evidence_name(latest) if latest is not None else ""
        explanations.append(
            {
                "dimension": dimension,
                "label": Dimension(dimension).label,
                "threshold": threshold.text,
                "unit": threshold.unit,
                "evaluation": latest,
                "value": None if latest is None else _number(dimension, latest.value),
                "passes": None if latest is None else threshold.passes(latest.value),
                "margin": None if latest is None else _number(dimension, margin(dimension, latest.value)),
                "provenance": None if latest is None else _provenance(latest),
                "evidence_sha256": file_sha256(name) if name else None,
                "unverified": None if dimension not in unverified else _number(dimension, unverified[dimension]),
                "history_count": len(history),
                "chart": chart,
            }
        )
    return explanations


def certification_sentence(summary: dict[str, Any], explanations: list[dict[str, Any]]) -> str:
    """One sentence that answers "why is this model (not) certified?"."""
    if summary.get("version") is None:
        return _("Not certified: the model has no version yet.")
    if summary["suspended"]:
        return _("Not certified: a critical security finding in an accepted security audit suspends its certification.")
    missing = [str(item["label"]) for item in explanations if item["evaluation"] is None]
    failing = [item for item in explanations if item["passes"] is False]
    if summary["certified"]:
        closest = min(
            explanations, key=lambda item: Decimal(item["margin"]) / max(THRESHOLDS[item["dimension"]].limit, Decimal(1))
        )
        return _(
            "Certified until %(date)s: all three dimensions pass on counted values under methodology %(methodology)s; "
            "the closest to its threshold is %(dimension)s (margin %(margin)s)."
        ) % {
            "date": date_format(timezone.localtime(summary["certified_until"]), "Y-m-d"),
            "methodology": summary["methodology_version"],
            "dimension": closest["label"],
            "margin": closest["margin"],
        }
    reasons = [
        _("%(dimension)s is %(value)s, which does not pass %(threshold)s")
        % {"dimension": item["label"], "value": item["value"], "threshold": item["threshold"]}
        for item in failing
    ]
    if missing:
        reasons.append(_("there is no counted value for %(dimensions)s") % {"dimensions": ", ".join(missing)})
    if reasons:
        return _("Not certified: %(reasons)s.") % {"reasons": "; ".join(reasons)}
    return _(
        "Not certified: all three dimensions pass, but the newest counted value is more than the certification "
        "period old (certification lasts 180 days from the newest counted value)."
    )
