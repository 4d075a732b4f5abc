"""The time budget the course tests hold every smoke run to: 3 x the declared expected minutes."""

from __future__ import annotations

import pytest

from tests.catalogue.engine import BUDGET_FACTOR, assert_within_budget


def test_a_run_inside_three_times_its_declared_minutes_passes() -> None:
    assert BUDGET_FACTOR == 3
    assert_within_budget("fits", 179.9, expected_minutes=1)
    assert_within_budget("fits-exactly", 360.0, expected_minutes=2)


def test_a_run_over_three_times_its_declared_minutes_fails_naming_the_figures() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_within_budget("too-slow", 181.0, expected_minutes=1)
    message = str(caught.value)
    assert "too-slow" in message
    assert "181 s" in message
    assert "expected_minutes=1 (180 s)" in message
