"""One rule picks the language of texts kept in English and Chinese (the methodology, the guide's errata log and
claim notes): Chinese for a Chinese page where a Chinese text exists, English otherwise."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from accounts.languages import reader_language


@pytest.mark.parametrize(
    ("page_language", "available", "expected"),
    [
        ("zh-hans", ("en", "zh-hans"), "zh-hans"),
        ("en", ("en", "zh-hans"), "en"),
        ("zh-hans", ("en",), "en"),  # no Chinese text: English
    ],
)
def test_reader_language(page_language, available, expected):
    with translation.override(page_language):
        assert reader_language(available) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "模型健康度 — 评测 notebook 如何度量"), ("en", "Model health — how the evaluation")]
)
def test_the_methodology_page_still_follows_the_reader(language, heading):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/health/methodology/v2/")

    assert response.status_code == 200
    assert heading in response.content.decode()
