"""Server-rendered SVG charts (no script, no inline styles): coordinates computed here, drawn by the templates
under portal/templates/charts/. Shared by every app, so it sits in the lowest layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
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
        width=WIDTH,
        height=HEIGHT,
        series=list(series.values()),
        y_ticks=ticks,
        x_left=PAD_LEFT,
        x_right=WIDTH - PAD_RIGHT,
        y_bottom=HEIGHT - PAD_BOTTOM,
    )


# --- bars (steward dashboard) -----------------------------------------------------------------------


def svg_number(value: float, places: int = 1) -> str:
    """What `{{ value|floatformat:places }}` writes (half up on the decimal digits, never "-0.0"), without the
    filter's localisation on every call: a chart has hundreds of coordinates, and SVG wants a plain "." anyway."""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return str(number if number else abs(number))


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    css: str
    text: str = ""

    # The coordinates as the template writes them (`floatformat:1`; the value as `floatformat:"-2"`).
    @property
    def x_text(self) -> str:
        return svg_number(self.x)

    @property
    def y_text(self) -> str:
        return svg_number(self.y)

    @property
    def width_text(self) -> str:
        return svg_number(self.width)

    @property
    def height_text(self) -> str:
        return svg_number(self.height)

    @property
    def value_text(self) -> str:
        return svg_number(self.value, 0 if self.value == int(self.value) else 2)


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_left: int
    x_right: int
    y_bottom: int
    y_ticks: list[tuple[float, str]]
    marker_x: float | None = None  # a vertical threshold line
    marker_label: str = ""

    @property
    def tick_rows(self) -> list[tuple[str, str]]:
        return [(svg_number(y), label) for y, label in self.y_ticks]

    @property
    def marker_x_text(self) -> str:
        return "" if self.marker_x is None else svg_number(self.marker_x)

    @property
    def label_x(self) -> int:
        return self.x_left - 6

    @property
    def label_y(self) -> int:
        return self.y_bottom + 14


def _tick(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def bar_chart(items: Sequence[tuple[str, float, str]], *, width: int = WIDTH, height: int = 220) -> BarChart | None:
    """Vertical bars for (label, value, css) items in the given order, on a shared y axis from 0."""
    if not items:
        return None
    top = max(value for _, value, _ in items) or 1
    x_right, y_bottom = width - PAD_RIGHT, height - PAD_BOTTOM
    span = (x_right - PAD_LEFT) / len(items)
    bars = []
    for index, (label, value, css) in enumerate(items):
        bar_height = (y_bottom - PAD_TOP) * value / top
        bars.append(
            Bar(
                x=PAD_LEFT + index * span + span * 0.1,
                y=y_bottom - bar_height,
                width=span * 0.8,
                height=bar_height,
                label=label,
                value=value,
                css=css,
            )
        )
    ticks = [(y_bottom - (y_bottom - PAD_TOP) * share, _tick(top * share)) for share in (0, 0.5, 1)]
    return BarChart(width=width, height=height, bars=bars, x_left=PAD_LEFT, x_right=x_right, y_bottom=y_bottom, y_ticks=ticks)


def histogram(
    values: Sequence[float], *, threshold: float, passes: Any, bins: int = 12, width: int = 340, height: int = 200
) -> BarChart | None:
    """A histogram of `values` with the threshold drawn as a line; bars on the passing side are marked `pass`."""
    if not values:
        return None
    low, high = min(min(values), threshold), max(max(values), threshold)
    if high == low:
        high = low + 1
    step = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / step))] += 1
    items = []
    for index, count in enumerate(counts):
        middle = low + step * (index + 0.5)
        items.append(
            (f"{low + step * index:.3g}–{low + step * (index + 1):.3g}", float(count), "pass" if passes(middle) else "fail")
        )
    chart = bar_chart(items, width=width, height=height)
    assert chart is not None
    chart.marker_x = chart.x_left + (chart.x_right - chart.x_left) * (threshold - low) / (high - low)
    chart.marker_label = f"{threshold:g}"
    return chart


# --- horizontal bars (the pool split: one labelled row per model) -------------------------------------

ROW_HEIGHT = 22
CHAR_WIDTH = 7.0  # at the 12 px tick font; a CJK character counts as two


def _text_width(text: str) -> float:
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text) * CHAR_WIDTH


@dataclass
class HBar:
    y: float
    label: str
    width: float
    value_text: str
    css: str
    text_x: float = 0.0

    # As the template writes them: `y` whole (`add` makes it an int), the rest with `floatformat:1`.
    @property
    def text_y(self) -> int:
        return int(self.y) + 14

    @property
    def bar_y(self) -> int:
        return int(self.y) + 3

    @property
    def width_text(self) -> str:
        return svg_number(self.width)

    @property
    def text_x_text(self) -> str:
        return svg_number(self.text_x)


@dataclass
class HBarChart:
    width: int
    height: int
    label_width: int
    rows: list[HBar]
    more: str = ""  # "19 more …": the rows that were aggregated, said visibly under the last bar
    more_y: float = 0.0

    @property
    def tick_x(self) -> int:
        return self.label_width - 8

    @property
    def more_y_text(self) -> str:
        return svg_number(self.more_y, 0)


def hbar_chart(items: Sequence[tuple[str, float, str, str]], *, more: str = "", width: int = 640) -> HBarChart | None:
    """One labelled horizontal bar per (label, value, css, value_text) item, in order, on a shared scale from 0.

    The label column is as wide as the longest label (so no label is clipped); `more` names what the caller
    aggregated and is drawn as its own line.
    """
    if not items:
        return None
    label_width = int(min(max(_text_width(label) for label, *_ in items) + 12, width * 0.45))
    value_room = max(_text_width(text) for *_, text in items) + 12
    plot = width - label_width - value_room
    top = max(value for _, value, _, _ in items) or 1
    rows = []
    for index, (label, value, css, text) in enumerate(items):
        bar = plot * value / top
        rows.append(HBar(y=8 + index * ROW_HEIGHT, label=label, width=bar, value_text=text, css=css))
        rows[-1].text_x = label_width + bar + 6
    more_y = 8 + len(rows) * ROW_HEIGHT + 14
    height = int(more_y + (10 if more else -4))
    return HBarChart(width=width, height=height, label_width=label_width, rows=rows, more=more, more_y=more_y)


# --- labelled columns (runs per month, a metric's distribution): fixed width, value above, label below -----


@dataclass
class Column:
    x: int
    y: int
    height: int
    middle: int  # x of the texts
    value_y: int
    label: str  # under the column
    value_text: str  # above it
    title: str  # the tooltip


@dataclass
class ColumnChart:
    width: int
    height: int
    column_width: int
    label_y: int
    label_font: int
    columns: list[Column]


VALUE_FONT = 10  # charts/_columns.html writes each column's value at this size


def column_chart(
    items: Sequence[tuple[float, str, str, str]],
    *,
    step: int,
    column_width: int,
    plot_height: int,
    height: int,
    label_y: int,
    label_font: int = 10,
    value_gap: int = 4,
) -> ColumnChart:
    """One column per (value, label, value_text, title) item, `step` apart from x=10, scaled to the tallest. The
    tallest stops `value_gap` lower than the plot's top, so the value written above it (VALUE_FONT high, its
    baseline `value_gap` above the column) stays inside the chart instead of losing its top to the edge."""
    peak = max((value for value, *_ in items), default=0) or 1
    baseline = plot_height + 10
    tallest = baseline - VALUE_FONT - value_gap
    columns = []
    for index, (value, label, value_text, title) in enumerate(items):
        column_height = round(tallest * value / peak)
        x, y = 10 + index * step, baseline - column_height
        columns.append(
            Column(
                x=x,
                y=y,
                height=column_height,
                middle=x + column_width // 2,
                value_y=y - value_gap,
                label=label,
                value_text=value_text,
                title=title,
            )
        )
    return ColumnChart(
        width=20 + step * max(1, len(items)),
        height=height,
        column_width=column_width,
        label_y=label_y,
        label_font=label_font,
        columns=columns,
    )
