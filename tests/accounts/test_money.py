"""Money for people: minor units shown in major units with separators and the currency, and typed back."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.money import format_money, parse_major


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_amounts_show_in_major_units_with_separators_and_the_currency(language):
    with translation.override(language):
        assert format_money(50_000_000, "CNY") == "¥500,000.00"
        assert format_money(5, "CNY") == "¥0.05"
        assert format_money(1_000, "JPY") == "JP¥1,000"
        assert format_money(-1_234, "usd") == "-$12.34"
        assert format_money(123_456_789, "XYZ") == "1,234,567.89 XYZ"


def test_the_template_filter_formats_and_leaves_a_missing_amount_visible():
    template = Template("{% load money %}{{ a|money:'CNY' }} {{ b|money:'CNY' }}")
    assert template.render(Context({"a": 11_627_91, "b": None})) == "¥11,627.91 —"


@pytest.mark.parametrize(
    ("typed", "minor"), [("500000", 50_000_000), ("500,000.00", 50_000_000), ("¥10,000.03", 1_000_003), (" 0.5 ", 50)]
)
def test_typed_amounts_become_minor_units(typed, minor):
    assert parse_major(typed, "CNY") == minor


@pytest.mark.parametrize("typed", ["", "abc", "0", "-5", "1.001", "NaN", "Infinity"])
def test_what_is_not_an_amount_is_refused(typed):
    with pytest.raises(ValueError, match=r"amount|decimals"):
        parse_major(typed, "CNY")
