"""A model owner keeps their models eligible in Chromium: My models shows each model's certification, values,
next steps and money without scrolling sideways at 390 and 1280 px, in English and Chinese; a next step leads
to where it is acted on; the model page offers the README badge snippets; the inbox reads the owner's
notifications in the page's language. Screenshots go to test-artifacts/owners/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from governance.models import Evaluation
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.browser.chromium import ARTIFACTS
from tests.browser.conftest import sign_in
from tests.browser.test_every_page_fits import MEASURE, WIDEST
from tests.governance.factories import certify, counted, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
SIZES = [(390, 844), (1280, 900)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(make_user):
    owner = make_user(Role.CURATOR)
    steward, auditor = make_user(Role.STEWARD), make_user(Role.AUDITOR)
    certify(register(owner, "digits-classifier").current_version, at=timezone.now() - timedelta(days=160))
    quarter_open(actor=steward, label="2026Q3", pool_minor_units=50_000_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q3")
    quarter_freeze(actor=steward, label="2026Q3")
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=60_000_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    tiny = register(owner, "tiny-vit-with-a-rather-long-name")
    counted(tiny.current_version, "robustness", "7.25")
    counted(tiny.current_version, "energy", "0.05", status=Evaluation.Status.PENDING, submitted_by=auditor)
    return owner


def _fits(page, label):
    scroll_width, viewport = page.evaluate(MEASURE)
    assert scroll_width <= viewport, f"{label}: {scroll_width}px wide ({', '.join(page.evaluate(WIDEST))})"


def test_my_models_fits_and_reads_in_both_languages(browser, live_server, owner):
    folder = ARTIFACTS / "owners"
    folder.mkdir(parents=True, exist_ok=True)
    for language, locale in LOCALES.items():
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, owner, live_server.url)
        pages = (
            ("/me/models/", "my-models"),
            ("/models/digits-classifier/", "model-page"),
            ("/health/digits-classifier/", "health-page"),
            ("/me/", "my-work"),
            ("/accounts/notifications/", "inbox"),
        )
        for path, name in pages:
            page.goto(path)
            if name == "model-page":
                page.locator("details.badge-snippets summary").click()
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                _fits(page, f"{path} {language} {width}px")
                page.screenshot(path=str(folder / f"{name}-{language}-{width}.png"), full_page=True)
        context.close()


def test_a_next_step_leads_to_where_it_is_acted_on(browser, live_server, owner):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, owner, live_server.url)
    page.goto("/me/models/")

    section = page.locator("#model-tiny-vit-with-a-rather-long-name")
    assert "7.25 does not pass < 5" in section.locator("[data-step=failing]").inner_text()
    assert "waits for a second auditor" in section.locator("[data-step=pending_review]").inner_text()
    assert "(frozen)" not in section.inner_text()  # nothing paid to a model that was never certified
    digits = page.locator("#model-digits-classifier").inner_text()  # 3 % of ¥500,000.00 and of ¥600,000.00
    assert "2026Q3 (frozen): ¥15,000.00" in digits and "2026Q4 (open): projected ¥18,000.00" in digits
    section.locator("[data-step=failing] a").click()

    page.wait_for_url("**/models/tiny-vit-with-a-rather-long-name/#new-version")
    assert page.locator("#new-version summary").is_visible()
    context.close()
