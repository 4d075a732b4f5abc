"""A reader opens the guide's chapters in Chromium: every Mermaid diagram is drawn as SVG by the copy of
mermaid the portal serves itself, claim notes open on focus, and the language switch changes the chrome."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from guide.services import guide_import
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def guide():
    assert guide_import(actor=None).problems == []


@pytest.mark.parametrize(("slug", "diagrams"), [("ch1", 0), ("ch2", 4), ("ch3", 2), ("ch4", 4), ("about", 1)])
def test_every_diagram_of_a_chapter_is_drawn(page, live_server, guide, slug, diagrams):
    failed_requests = []
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    page.on(
        "response",
        lambda response: (
            failed_requests.append(response.url) if response.status >= 400 and "favicon" not in response.url else None
        ),
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"/guide/{slug}/" if slug != "about" else "/about/")
    blocks = page.locator("pre.mermaid")
    expect(blocks).to_have_count(diagrams)
    if diagrams:
        expect(page.locator("pre.mermaid svg")).to_have_count(diagrams, timeout=20_000)
    screenshot(page, f"guide-{slug}")

    assert page.locator("pre.mermaid-error").count() == 0
    assert errors == []
    assert failed_requests == []
    assert all(
        url.startswith(live_server.url)
        for url in page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    )


def test_a_claim_note_opens_on_focus(page, live_server, guide):
    page.goto("/guide/ch1/")
    badge = page.locator('.claim[data-claim="gocache-off"]')
    note = badge.locator(".claim-note")
    expect(note).to_be_hidden()

    badge.focus()

    expect(note).to_be_visible()
    expect(note).to_contain_text("GOCACHE=off")
    screenshot(page, "guide-claim-note")


def test_the_language_switch_changes_the_chrome_not_the_text(page, live_server, guide):
    page.goto("/guide/ch2/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    chapter_title = page.locator(".guide-body h1").inner_text()

    page.select_option("#language", "zh-hans")
    page.wait_for_load_state()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".main-nav")).to_contain_text("调优指南")
    assert page.locator(".guide-body h1").inner_text() == chapter_title
    screenshot(page, "guide-zh-hans")
