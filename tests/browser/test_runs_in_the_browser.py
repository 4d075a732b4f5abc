"""What a person sees of a run, in Chromium: the progress bar moving to done, and hostile notebook output
that never runs a script in the portal's origin."""

from __future__ import annotations

import threading
import time

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from notebooks.engine.executor import execute_run
from notebooks.models import Run
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run(nb, owner, slug, steps=3):
    notebook = nb(slug)
    return Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=owner, parameters={"steps": steps, "device": "auto"},
        timeout_seconds=120, memory_limit_mb=2048,
    )  # fmt: skip


def test_the_progress_bar_moves_to_done_without_a_reload(page, live_server, nb, make_user):
    student = make_user(Role.STUDENT)
    run = _run(nb, student, "sleeps", steps=5)
    sign_in(page, student, live_server.url)
    page.goto(f"/runs/{run.pk}/")
    page.evaluate("() => { window.__sameDocument = true; }")
    bar = page.locator("[data-bar]")
    widths = []

    worker = threading.Thread(target=execute_run, args=(run.pk, run.attempt))
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            width = bar.evaluate("bar => bar.value + '%'")
            if not widths or widths[-1] != width:
                widths.append(width)
                if width not in {"0%", "100%"} and len(widths) == 2:
                    screenshot(page, "run-progress-running")
            if width == "100%":
                break
            time.sleep(0.1)
        expect(page.locator("[data-status]").first).to_have_text("Succeeded", timeout=30_000)
        expect(page.locator("iframe[data-frame]")).to_have_attribute("src", f"/runs/{run.pk}/output.html")
    finally:
        worker.join(timeout=60)
    screenshot(page, "run-progress-done")

    assert page.evaluate("() => window.__sameDocument") is True, "the page must update itself, not reload"
    assert any(width not in {"0%", "100%"} for width in widths), widths
    assert widths[-1] == "100%"
    assert "steps" in page.inner_text("[data-metrics]").lower()


def test_hostile_output_never_runs_a_script_in_the_portal(page, live_server, nb, make_user):
    owner = make_user(Role.STUDENT)
    run = _run(nb, owner, "hostile")
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    sign_in(page, owner, live_server.url)

    page.goto(f"/runs/{run.pk}/")
    title = page.title()
    frame_element = page.wait_for_selector("iframe[data-frame][src]")
    frame = frame_element.content_frame()
    frame.wait_for_load_state()
    page.wait_for_timeout(1500)
    screenshot(page, "run-hostile-output")

    assert page.dialogs == []
    assert page.title() == title
    assert "/pwned" not in page.url
    sandbox = frame_element.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    assert "pwned" not in page.content()

    # Opened directly, outside the frame, the output still runs nothing and cannot reach the portal.
    direct = page.context.new_page()
    direct.on("dialog", lambda dialog: page.dialogs.append(dialog.message))
    response = direct.goto(f"/runs/{run.pk}/output.html")
    direct.wait_for_timeout(1000)
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert page.dialogs == []
    assert "/pwned" not in direct.url
    assert direct.evaluate("() => { try { return document.cookie } catch (error) { return 'blocked' } }") in {"", "blocked"}
