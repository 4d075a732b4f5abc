"""What a person sees of a run, in Chromium: the progress bar moving to done, and hostile notebook output
that never runs a script in the portal's origin."""

from __future__ import annotations

import json
import threading
import time

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from notebooks.engine.executor import execute_run
from notebooks.models import Run
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in

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


RICH_CELLS = [
    "import matplotlib.pyplot as plt\nplt.figure(figsize=(5, 3))\nplt.plot([1 / (i + 1) for i in range(steps)])\nplt.title('loss')\nplt.show()",
    "import pandas as pd\npd.DataFrame({'epoch': range(steps), 'loss': [round(1 / (i + 1), 3) for i in range(steps)]})",
    "from IPython.display import Math\nMath(r'\\bar{x} = \\frac{1}{n}\\sum_{i=1}^{n} x_i')",
    "import sys\nprint('a warning on stderr', file=sys.stderr)",
]
RICH_MARKDOWN = [
    "## What the loss does · 损失如何变化\n\nThe loss $L_t$ falls like $\\frac{1}{t}$:\n\n$$L_t = \\frac{1}{t+1}$$\n\n| step | loss |\n|---|---|\n| 1 | 0.5 |",
]


@pytest.fixture
def rich_catalogue(tmp_path, settings):
    from notebooks.models import Notebook
    from notebooks.services import catalogue_sync
    from tests.notebooks import builders

    rich = builders.notebook(
        "rich",
        RICH_CELLS,
        markdown=RICH_MARKDOWN,
        metrics="from IPython.display import JSON, display\ndisplay(JSON({'final_loss': 1 / steps, 'steps': steps}))",
    )
    rich.metadata["portal"]["metrics"] = {
        "final_loss": {"label": {"en": "Final loss", "zh-hans": "最终损失"}, "digits": 3, "higher_is_better": False},
        "steps": {"label": {"en": "Steps", "zh-hans": "步数"}, "digits": 0},
    }
    root = builders.write_catalogue(tmp_path / "catalogue", [rich])
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    assert not catalogue_sync(actor=None, root=root).invalid
    return Notebook.objects.get(slug="rich")


FRAME_LAYOUT = """() => ({
  images: Array.from(document.images).map(img => img.complete && img.naturalWidth > 0),
  math: Array.from(document.querySelectorAll('math')).map(m => m.getBoundingClientRect().width > 0),
  tables: document.querySelectorAll('table').length,
  headings: Array.from(document.querySelectorAll('h2')).map(h => decodeURIComponent(h.id)),
  stderr: document.querySelectorAll("[data-mime-type='application/vnd.jupyter.stderr']").length,
})"""


def test_a_student_reads_figures_math_and_tables_and_compares_runs(browser, live_server, rich_catalogue, make_user):
    """The good content arrives on the run page (framed, sandboxed), on a desktop and a phone, in both
    languages; metrics carry their labels; the compare page puts the runs side by side."""
    student = make_user(Role.STUDENT)
    runs = []
    for steps in (3, 6):
        run = Run.objects.create(
            notebook=rich_catalogue, version=rich_catalogue.current_version, owner=student,
            parameters={"steps": steps, "device": "auto"}, timeout_seconds=120, memory_limit_mb=2048,
        )  # fmt: skip
        execute_run(run.pk, run.attempt)
        run.refresh_from_db()
        assert run.status == Run.Status.SUCCEEDED, run.error
        runs.append(run)

    for language, width in (("en-US", 1280), ("zh-CN", 1280), ("en-US", 390), ("zh-CN", 390)):
        context = browser.new_context(base_url=live_server.url, locale=language, viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, student, live_server.url)
        page.goto(f"/runs/{runs[0].pk}/")
        frame_element = page.wait_for_selector("iframe[data-frame][src]")
        frame = frame_element.content_frame()
        frame.wait_for_load_state("load")
        layout = frame.evaluate(FRAME_LAYOUT)
        tag = f"{language[:2]}-{width}"
        screenshot(page, f"run-rich-{tag}")
        frame_element.scroll_into_view_if_needed()
        frame_element.screenshot(path=str(ARTIFACTS / f"run-rich-frame-{tag}.png"))

        assert layout["images"] == [True], layout  # the figure from plt.show()
        assert len(layout["math"]) == 4 and all(layout["math"]), layout  # three in Markdown, one output
        assert layout["tables"] == 2 and layout["stderr"] == 1
        assert [heading.split("-·-")[0] for heading in layout["headings"]] == ["What-the-loss-does"]
        label = "最终损失" if language.startswith("zh") else "Final loss"
        assert page.locator("table[data-metrics] tbody th").first.inner_text() == label
        assert page.locator("table[data-metrics] tbody td").first.inner_text() == "0.333"
        assert page.locator("table[data-phases] tbody tr").count() == 4
        download = page.request.get(page.get_attribute("[data-output-links] a", "href"))
        stored = json.loads(download.body())
        figures = [o for c in stored["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert len(figures) == 1, "the downloaded .ipynb keeps the figure, so it opens in JupyterLab with it"
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the run page is {overflow} px wider than a {width} px screen"

        page.goto("/runs/")
        for run in runs:
            page.check(f"#compare-{run.pk}")
        page.get_by_role("button", name="比较所选运行" if language.startswith("zh") else "Compare the selected runs").click()
        page.wait_for_selector("table[data-compare]")
        screenshot(page, f"run-compare-{tag}")
        final = page.locator("table[data-compare] tbody tr", has_text=label)
        assert final.locator("td").nth(1).inner_text() == "0.167 ▲"  # 1/6 < 1/3: lower loss is better
        context.close()
