"""The reader's language for texts kept in English and Chinese: one rule for every page that picks one."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import get_language

ENGLISH, CHINESE = "en", "zh-hans"


def reader_language(available: Collection[str] = (ENGLISH, CHINESE)) -> str:
    """`zh-hans` when the page is shown in Chinese and a Chinese text is available, otherwise `en`."""
    return CHINESE if (get_language() or "").startswith("zh") and CHINESE in available else ENGLISH
