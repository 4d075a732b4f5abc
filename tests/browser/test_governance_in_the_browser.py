"""Auditors and a steward do their jobs in Chromium: an auditor registers nothing but files an audit (finding,
evidence, submit), is shown why they cannot decide it themselves, and a second auditor accepts it; a steward
opens a quarter, computes it, freezes it and downloads the allocations CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from governance.models import Audit, Quarter
from governance.sponsorship_rules import verify
from tests.browser.conftest import screenshot, sign_in
from tests.governance.factories import certify, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_auditor_files_an_audit_and_a_second_auditor_decides_it(page, live_server, make_user):
    owner = make_user(Role.CURATOR)
    model = register(owner, "triage-net")
    certify(model.current_version)
    author, reviewer = make_user(Role.AUDITOR), make_user(Role.AUDITOR)

    sign_in(page, author, live_server.url)
    page.goto("/audits/")
    # The registry is too large for a drop-down: typing part of the name brings the model from the models API.
    register(owner, "triage-lite")
    page.fill("input[name=model]", "triage")
    expect(page.locator("#model-suggestions option[value='triage-net']")).to_have_count(1)
    expect(page.locator("#model-suggestions option")).to_have_count(2)
    page.fill("input[name=model]", "triage-net")
    page.select_option("select[name=kind]", "security")
    page.fill("input[name=title]", "FGSM and malformed inputs")
    page.fill("textarea[name=summary]", "Checked **adversarial** inputs. <script>document.title='pwned'</script>")
    page.click("button:has-text('Open draft')")
    expect(page.locator("h1")).to_contain_text("FGSM and malformed inputs")
    page.click("summary:has-text('Record a finding')")
    page.select_option("select[name=severity]", "high")
    page.fill("input#finding-title", "Attack success 9 % at ε = 0.03")
    page.fill("textarea#finding-text", "Above the 5 % threshold; see the linked report.")
    page.click("button:has-text('Add finding')")
    page.click("summary:has-text('Attach evidence')")
    page.fill("input[name=link]", "https://example.org/fgsm-report")
    page.click("button:has-text('Attach')")
    expect(page.locator("a[href='https://example.org/fgsm-report']")).to_be_visible()
    page.click("button:has-text('Submit for review')")
    expect(page.locator("[data-status=submitted]")).to_be_visible()
    expect(page.locator("[data-four-eyes]")).to_contain_text("you wrote this audit")
    assert page.title() != "pwned" and page.locator(".audit-summary strong").inner_text() == "adversarial"
    screenshot(page, "audit-1-submitted-four-eyes")

    page.context.clear_cookies()
    sign_in(page, reviewer, live_server.url)
    page.goto("/audits/")
    page.click("a:has-text('FGSM and malformed inputs')")
    page.click("[data-confirm-decide] summary")
    expect(page.locator("[data-confirm-decide]")).to_contain_text("A decision is final")
    page.fill("textarea[name=note]", "Evidence reproduces; accepted.")
    page.click("button[value=accept]")
    expect(page.locator("[data-status=accepted]")).to_be_visible()
    screenshot(page, "audit-2-accepted-by-second-auditor")
    audit = Audit.objects.get(title="FGSM and malformed inputs")
    assert audit.status == "accepted" and audit.decided_by == reviewer and page.dialogs == []


def test_a_steward_computes_freezes_and_downloads_a_quarter(page, live_server, make_user):
    owner = make_user(Role.CURATOR)
    for index in range(5):
        certify(register(owner, f"model-{index}").current_version)
    register(owner, "not-yet")
    steward = make_user(Role.STEWARD)

    sign_in(page, steward, live_server.url)
    page.goto("/sponsorship/")
    expect(page.locator("[data-certified-count]")).to_have_text("5")
    page.click("summary:has-text('Open a quarter')")
    page.fill("input[name=label]", "2026Q4")
    page.fill("input[name=pool]", "10,000.03")  # major units, as people write money: 1,000,003 fen
    page.click("button:has-text('Open quarter')")
    expect(page.locator("[data-quarter-status=open]")).to_be_visible()
    page.click("[data-compute]")
    expect(page.locator("[data-eligible]")).to_have_text("5")
    expect(page.locator("svg[data-chart=pool-split] rect.bar")).to_have_count(6)
    screenshot(page, "sponsorship-1-computed")
    page.click("[data-confirm-freeze] summary")
    expect(page.locator("[data-confirm-freeze]")).to_contain_text("cannot be undone")
    page.fill("input[name=confirm_label]", "2026Q3")  # a wrong label is refused, nothing frozen
    page.click("[data-freeze]")
    expect(page.locator("main")).to_contain_text("Type 2026Q4 exactly")
    assert Quarter.objects.get(label="2026Q4").status != Quarter.Status.FROZEN
    page.go_back()
    page.click("[data-confirm-freeze] summary")
    page.fill("input[name=confirm_label]", "2026Q4")
    page.click("[data-freeze]")
    expect(page.locator("[data-quarter-status=frozen]")).to_be_visible()
    with page.expect_download() as download_info:
        page.click("[data-export-csv]")
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    screenshot(page, "sponsorship-2-frozen")

    assert [row["model"] for row in rows][:5] == [f"model-{i}" for i in range(5)]
    assert sum(int(row["amount_minor_units"]) for row in rows) == 1_000_003
    quarter = Quarter.objects.get(label="2026Q4")
    assert page.inner_text("[data-sha256]") == quarter.manifest_sha256 and verify(quarter.manifest)
    page.goto("/sponsorship/")
    screenshot(page, "sponsorship-3-dashboard")
    expect(page.locator("svg[data-chart=robustness]")).to_be_visible()
