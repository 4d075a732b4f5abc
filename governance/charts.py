"""Server-rendered SVG charts (no script, no inline styles): coordinates computed here, drawn by templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH = 720
HEIGHT = 260
PAD_LEFT = 60
PAD_RIGHT = 20
PAD_TOP = 20
PAD_BOTTOM = 40


@dataclass
class Point:
    x: float
    y: float
    value: float
    label: str
    regression: bool


@dataclass
class Series:
    name: str
    css: str
    points: list[Point] = field(default_factory=list)

    @property
    def path(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


@dataclass
class Chart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_left: int
    x_right: int
    y_bottom: int


def metric_over_time(results: Sequence[Any]) -> Chart | None:
    """One line per runner class over the results in time order; regressions keep a flag for marking."""
    ordered = sorted(results, key=lambda result: (result.recorded_at, result.pk))
    if not ordered:
        return None
    values = [result.value for result in ordered]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * 0.05, high + span * 0.05
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def y_of(value: float) -> float:
        return PAD_TOP + plot_h * (1 - (value - low) / (high - low))

    series: dict[str, Series] = {}
    count = len(ordered)
    for index, result in enumerate(ordered):
        x = PAD_LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)
        line = series.setdefault(result.runner_class, Series(name=result.runner_class, css=f"series-{len(series) % 4}"))
        line.points.append(
            Point(
                x=x,
                y=y_of(result.value),
                value=result.value,
                label=result.recorded_at.strftime("%Y-%m-%d"),
                regression=result.is_regression,
            )
        )
    ticks = [(y_of(low + (high - low) * step / 4), f"{low + (high - low) * step / 4:.4g}") for step in range(5)]
    return Chart(
        width=WIDTH, height=HEIGHT, series=list(series.values()), y_ticks=ticks,
        x_left=PAD_LEFT, x_right=WIDTH - PAD_RIGHT, y_bottom=HEIGHT - PAD_BOTTOM,
    )  # fmt: skip
