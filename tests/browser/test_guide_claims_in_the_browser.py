"""A reader of either language opens a claim's note, the "does not run as shown" box and the errata log, on a
desktop and on a phone: the texts are in the reader's language and nothing scrolls sideways. Screenshots go to
test-artifacts/content/."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import expect

from guide.services import guide_import
from tests.browser.chromium import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh-hans": {
        "note": "自 Go 1.12 起构建缓存无法关闭",
        "fix": "会重新编译所有包",
        "stw": "stop the world",
        "errata": "勘误日志 —— Go3s 调优指南",
    },
    "en": {
        "note": "The build cache cannot be switched off since Go 1.12.",
        "fix": "rebuilds every package",
        "stw": "stops the world",
        "errata": "Errata — Go3s tuning guide",
    },
}


@pytest.fixture
def guide() -> None:
    assert guide_import(actor=None).problems == []


def _shot(page: Any, name: str, full_page: bool = True) -> None:
    folder = ARTIFACTS / "content"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def _fits(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_claim_notes_fixes_and_errata_in_the_readers_language(browser, live_server, guide, language, width):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    texts = TEXTS[language]
    try:
        page.goto("/guide/ch1/")
        block = page.locator('.claim-block[data-claim="gocache-off"]')
        block.evaluate("element => element.scrollIntoView({block: 'start'})")
        badge = block.locator(".claim")
        badge.focus()
        expect(badge.locator(".claim-note")).to_contain_text(texts["note"])
        expect(block.locator(".fix-note")).to_contain_text(texts["fix"])
        assert _fits(page)
        _shot(page, f"guide-ch1-fix-{language}-{width}", full_page=False)

        inline = page.locator('.claim[data-claim="pprof-http-no-source"]')
        inline.evaluate("element => element.scrollIntoView({block: 'center'})")
        inline.focus()
        expect(inline.locator(".claim-fix")).to_be_visible()
        assert _fits(page)
        _shot(page, f"guide-ch1-inline-broken-{language}-{width}", full_page=False)

        page.goto("/guide/ch2/")
        new_claim = page.locator('.claim[data-claim="gomaxprocs-reset-stw"]')
        new_claim.evaluate("element => element.scrollIntoView({block: 'center'})")
        new_claim.focus()
        expect(new_claim.locator(".claim-note")).to_contain_text(texts["stw"])
        assert _fits(page)
        _shot(page, f"guide-ch2-new-claim-{language}-{width}", full_page=False)
        _shot(page, f"guide-ch2-{language}-{width}")

        page.goto("/guide/errata/")
        expect(page.locator(".guide-body h1")).to_contain_text(texts["errata"])
        assert _fits(page)
        _shot(page, f"errata-{language}-{width}")
    finally:
        context.close()
