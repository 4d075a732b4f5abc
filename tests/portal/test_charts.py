"""The one column-chart helper draws what the stats page and the assignment histogram drew by hand before."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.charts import VALUE_FONT, column_chart


def test_columns_are_placed_and_scaled_as_the_stats_page_placed_them():
    chart = column_chart(
        [(10, "26-01", "10", "2026-01: 10"), (5, "26-02", "5", "2026-02: 5")],
        step=44, column_width=32, plot_height=120, height=160, label_y=150,
    )  # fmt: skip

    assert chart.width == 20 + 44 * 2
    assert [(c.x, c.y, c.height, c.middle, c.value_y) for c in chart.columns] == [(10, 14, 116, 26, 10), (54, 72, 58, 70, 68)]


def test_the_tallest_columns_value_is_written_inside_the_chart():
    for gap, font in ((4, 10), (3, 9), (0, 10)):
        chart = column_chart([(7, "a", "7", "a: 7"), (2, "b", "2", "b: 2")], step=52, column_width=44, plot_height=100,
                             height=150, label_y=128, label_font=font, value_gap=gap)  # fmt: skip
        tallest = chart.columns[0]
        assert tallest.value_y >= VALUE_FONT, "the value's glyphs (VALUE_FONT high) end below the chart's top edge"
        assert tallest.y + tallest.height == 110 and tallest.value_y == tallest.y - gap, "on the baseline, value above"


def test_all_zero_values_draw_empty_columns_without_dividing_by_zero():
    chart = column_chart([(0, "a", "0", "a: 0")], step=52, column_width=44, plot_height=100, height=150, label_y=128)

    assert chart.width == 72 and chart.columns[0].height == 0 and chart.columns[0].y == 110


def test_the_template_draws_every_column_with_its_tooltip_label_and_value():
    chart = column_chart([(3, "0.5", "3", "0.5 – 0.75: 3")], step=52, column_width=44, plot_height=100, height=150,
                         label_y=128, label_font=9, value_gap=3)  # fmt: skip

    svg = render_to_string("charts/_columns.html", {"chart": chart, "title": "Distribution", "name": "histogram"})

    assert 'aria-label="Distribution"' in svg and "data-histogram" in svg and 'viewBox="0 0 72 150"' in svg
    assert '<rect x="10" y="13" width="44" height="97" rx="3"' in svg and "<title>0.5 – 0.75: 3</title>" in svg
    assert 'y="128" text-anchor="middle" font-size="9"' in svg and '<text x="32" y="10"' in svg


def test_chart_coordinates_read_as_floatformat_wrote_them():
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from accounts.charts import svg_number

    values = [0.0, -0.0, -0.04, 0.05, 0.15, 0.25, 2.5, 12.0, 1e-05, 123.456, 639.95, 2 / 3, 7.000000001, 1234567.25]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value in values:
                assert svg_number(value) == floatformat(value, 1), value
                assert svg_number(value, 0) == floatformat(value, 0), value
                assert svg_number(value, 2) == floatformat(value, 2), value
