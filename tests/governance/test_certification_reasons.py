"""A certification's end reason is stored in English (exports carry it) and shown in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from governance.certification_reasons import reason_text


@pytest.mark.parametrize(
    ("stored", "chinese"),
    [
        ("critical security finding in audit #4", "审计 #4 中有严重安全发现"),
        ("newer robustness, energy value does not pass", "较新的鲁棒性、能效数值未达标"),
        ("no counted explainability value", "没有计入的可解释性数值"),
        ("new version 2.0.0", "新版本 2.0.0"),
        ("no longer the current version", "已不是当前版本"),
    ],
)
def test_every_reason_the_services_write_reads_in_chinese(stored, chinese):
    with translation.override("zh-hans"):
        assert reason_text(stored) == chinese
    with translation.override("en"):  # the English phrase, with dimensions by their names
        assert reason_text(stored) == stored.replace("energy value", "energy efficiency value")


def test_an_unknown_reason_is_shown_as_stored():
    assert reason_text("handled by hand") == "handled by hand"
