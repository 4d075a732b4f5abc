"""A curator does the whole job in Chromium: creates and imports a dataset, reads agreement, arbitrates, adds a
deny-list term, scans, marks flags, is refused release, clears the flags and releases. A maintainer registers a
benchmark and sees its results with a regression marked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from curation.models import Dataset
from tests.browser.conftest import screenshot, sign_in
from tests.curation.curation_helpers import CSV
from toolchain.models import Benchmark
from toolchain.services import benchmark_result_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_curator_reviews_and_releases_a_dataset(page, live_server, make_user):
    curator = make_user(Role.CURATOR)
    sign_in(page, curator, live_server.url)

    # A deny-list term first, so the scan finds it.
    page.goto("/curation/deny-list/")
    page.fill("input[name=term]", "艾滋病")
    page.click("button:has-text('Add term')")
    expect(page.locator("[data-term='艾滋病']")).to_be_visible()

    page.goto("/curation/")
    page.fill("input[name=slug]", "xray-notes")
    page.fill("input[name=licence]", "CC-BY-4.0")
    page.fill("textarea[name=description]", "Report sentences, **three** annotators.")
    page.click("button:has-text('Create dataset')")
    expect(page.locator("h1")).to_contain_text("xray-notes")
    page.set_input_files("input[name=file]", files=[{"name": "items.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.click("button:has-text('Import')")
    expect(page.locator(".message.success")).to_be_visible()
    before = page.inner_text("[data-before] [data-kappa]")
    screenshot(page, "curation-dataset-agreement")

    page.click("a:has-text('Arbitration queue')")
    for key, label in (("3", "abnormal"), ("4", "normal")):
        card = page.locator(f"[data-item='{key}']")
        card.locator("select[name=label]").select_option(label)
        card.locator("textarea[name=reason]").fill("Read the report again; the finding is stated.")
        card.locator("button:has-text('Record ruling')").click()
        expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("[data-queue-empty]")).to_be_visible()
    after = page.inner_text("[data-after] [data-kappa]")
    assert float(after) > float(before)
    screenshot(page, "curation-arbitration-done")

    page.goto("/curation/datasets/xray-notes/pii/")
    expect(page.locator("[data-name-detection]")).to_contain_text("not detected")
    page.click("button:has-text('Run a PII scan')")
    expect(page.locator("[data-scan-status]")).to_have_text("Succeeded")
    expect(page.locator("tr[data-flag]")).to_have_count(5)
    expect(page.locator("tr[data-flag-kind=phone] mark.pii")).to_have_text("13812345678")
    screenshot(page, "curation-pii-flags")

    page.goto("/curation/datasets/xray-notes/")
    page.click("[data-confirm-release] summary")
    page.click("button[data-release]")
    expect(page.locator("[data-error]")).to_contain_text("5 flags not reviewed")
    screenshot(page, "curation-release-refused")

    page.goto("/curation/datasets/xray-notes/pii/")
    for kind in ("phone", "email", "medical_record", "resident_id", "deny_term"):
        page.locator(f"tr[data-flag-kind={kind}] button[value=true_positive]").click()
        page.locator(f"tr[data-flag-kind={kind}] button[value={'remove' if kind == 'email' else 'redact'}]").click()
        expect(page.locator(f"tr[data-flag-kind={kind}]")).to_have_attribute("data-flag-status", "resolved")
    screenshot(page, "curation-pii-resolved")

    page.goto("/curation/datasets/xray-notes/")
    page.click("[data-confirm-release] summary")
    page.click("button[data-release]")
    expect(page.locator("h1 [data-state]")).to_have_text("Released")
    screenshot(page, "curation-released")
    assert Dataset.objects.get(slug="xray-notes").state == "released"
    assert "13812345678" not in page.content()


def test_a_maintainer_registers_a_benchmark_and_sees_a_regression(page, live_server, make_user, catalogue):
    maintainer = make_user(Role.TOOLCHAIN_MAINTAINER)
    sign_in(page, maintainer, live_server.url)

    page.goto("/toolchain/")
    page.fill("input[name=slug]", "short-loss")
    page.fill("input[name=title]", "Short notebook loss")
    page.select_option("select[name=notebook]", "short")
    page.fill("textarea[name=parameters]", '{"steps": 3}')
    page.fill("input[name=metric_key]", "loss")
    page.select_option("select[name=higher_is_better]", "0")
    page.click("button:has-text('Register benchmark')")
    expect(page.locator("h1")).to_have_text("Short notebook loss")

    benchmark = Benchmark.objects.get(slug="short-loss")
    now = timezone.now()
    for day, loss in enumerate([1.00, 1.02, 0.99, 1.01, 1.00, 1.31, 1.0]):
        benchmark_result_record(
            benchmark=benchmark, value=loss, metrics={"loss": loss}, runner_host="runner-cpu@h1", queue="cpu", cpus=8,
            memory_mb=32000, gpu_name="", toolchain={"python": "3.11.9", "torch": "2.4.1"}, recorded_at=now - timedelta(days=7 - day),
        )  # fmt: skip
    page.reload()
    expect(page.locator("svg.chart circle[data-regression]")).to_have_count(1)
    expect(page.locator("tr[data-regression-row]")).to_have_count(1)
    screenshot(page, "toolchain-benchmark-regression")

    page.goto("/toolchain/")
    expect(page.locator("[data-regressions] tbody tr")).to_have_count(1)
    screenshot(page, "toolchain-home")
