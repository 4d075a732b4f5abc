"""The hostile corpus (tests/hostile/payloads.py) everywhere people can put text today, opened in Chromium.

Places: a catalogue notebook carrying a payload at each of nbconvert's 16 advisory injection points
(metadata, tags, raw and markdown cells, attachments, every rich output type), run through the portal's
engine and opened as its run page, its sandboxed output (framed and direct) and its catalogue page; user
display names and role-application motivations (the stewards' approval queue); course titles (the
instructor's course pages); and user Markdown (`accounts.user_markdown.render_user_markdown`, which the
`user_markdown` filter uses), served on the portal's origin *without* a CSP so the sanitiser alone is
what stands between the payloads and the page.

A payload that ran would leave a mark: a dialog, `window.__pwned`, a changed `document.title`, a
navigation, or a same-origin request to `/__canary__` carrying `document.cookie` (watched with
`page.route`). None may appear. Screenshots go to test-artifacts/hostile-*.png.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import nbformat
import pytest

from accounts.models import Role, RoleApplication
from accounts.user_markdown import render_user_markdown
from notebooks.engine.executor import execute_run
from notebooks.models import Notebook, Run
from notebooks.services import catalogue_sync
from tests.browser.conftest import screenshot, sign_in
from tests.hostile.payloads import MARK, NBCONVERT_POINTS, payloads
from tests.notebooks import builders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "hostile-corpus"
PAYLOADS = payloads()
SVG_PAYLOADS = [p for name, p in PAYLOADS if name.startswith(("svg", "mxss", "math"))]


def _publish(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> str:
    """A code cell that publishes exactly this mime bundle (what a kernel could send)."""
    bundle = json.dumps({"data": data, "metadata": metadata or {}})
    return f"import json\nfrom IPython.display import publish_display_data\npublish_display_data(**json.loads({bundle!r}))"


def hostile_notebook() -> nbformat.NotebookNode:
    evil = PAYLOADS[0][1]  # <script>MARK</script>
    attribute_break = '"><img src=x onerror="' + MARK + '">'
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    cells = [
        # 5. text/html — every payload, one output each
        *(_publish({"text/html": payload, "text/plain": name}) for name, payload in PAYLOADS),
        # 6. image/svg+xml, 7. svg_filename
        *(_publish({"image/svg+xml": payload}, {"svg_filename": attribute_break}) for payload in SVG_PAYLOADS),
        _publish({"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg"><script>{MARK}</script></svg>'}),
        # 8. text/markdown
        *(_publish({"text/markdown": payload}) for name, payload in PAYLOADS if name.startswith(("markdown", "a-", "script"))),
        # 9. application/javascript
        _publish({"application/javascript": MARK, "text/plain": "js"}),
        # 10. filenames, 11. image data, 12. width/height
        _publish({"image/png": png}, {"filenames": {"image/png": attribute_break}, "width": attribute_break, "height": evil}),
        _publish({"image/png": attribute_break, "image/jpeg": attribute_break}),
        # 13. widget state, 14. widget view
        _publish({"application/vnd.jupyter.widget-state+json": {"state": {"x": {"value": evil}}, "version_major": 2}}),
        _publish({"application/vnd.jupyter.widget-view+json": {"model_id": attribute_break, "version_major": 2}}),
        "print(" + repr(evil) + ")",  # plain text output
    ]
    nb = builders.notebook(
        SLUG,
        cells,
        markdown=[payload for _, payload in PAYLOADS[:20]],  # 16. markdown cells
        title={"en": evil[:190], "zh-hans": attribute_break[:190]},
    )
    nb.metadata["portal"]["summary"] = {"en": attribute_break, "zh-hans": evil}
    nb.metadata["title"] = evil  # 2.
    nb.metadata["language_info"]["pygments_lexer"] = attribute_break  # 1.
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"html": evil}}}}  # 3.
    nb.cells[-2].metadata["tags"] = [attribute_break, evil]  # 4. (a code cell; not the metrics cell)
    raw = nbformat.v4.new_raw_cell(evil)  # 15.
    raw.metadata["format"] = "text/html"
    raw.metadata["raw_mimetype"] = "text/html"
    nb.cells.append(raw)
    attached = nbformat.v4.new_markdown_cell(f"![{attribute_break}](attachment:{attribute_break})\n\n{evil}")  # 16.
    attached["attachments"] = {attribute_break: {"image/png": png, "text/html": evil}}
    nb.cells.append(attached)
    return nb


@pytest.fixture
def hostile_catalogue(tmp_path, settings):
    root = builders.write_catalogue(tmp_path / "catalogue", [builders.SHORT, hostile_notebook()])
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    report = catalogue_sync(actor=None, root=root)
    assert not report.invalid, report.invalid
    return Notebook.objects.get(slug=SLUG)


@pytest.fixture
def watched(page):
    """Routes the canary and records every hit; records console messages and navigations."""
    hits: list[str] = []
    page.route("**/__canary__**", lambda route: (hits.append(route.request.url), route.fulfill(status=204)))
    page.route("**/pwned**", lambda route: (hits.append(route.request.url), route.fulfill(status=204)))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.hits = hits
    page.console = console
    return page


def assert_inert(page: Any, what: str, title: str | None = None) -> None:
    page.wait_for_timeout(600)
    assert page.dialogs == [], f"{what}: a dialog opened: {page.dialogs}"
    assert page.hits == [], f"{what}: a canary request was made: {page.hits}"
    assert "pwned" not in page.url, f"{what}: navigated to {page.url}"
    for frame in page.frames:
        assert "pwned" not in frame.url, f"{what}: a frame navigated to {frame.url}"
    marks = page.evaluate("() => [typeof window.__pwned, document.title]")
    assert marks[0] == "undefined", f"{what}: window.__pwned was set"
    assert marks[1] != "pwned", f"{what}: the title was changed"
    if title is not None:
        assert marks[1] == title
    assert not any("pwned" in line for line in page.console), f"{what}: {page.console}"


def test_a_notebook_hostile_at_every_nbconvert_injection_point_runs_nothing(watched, live_server, hostile_catalogue, make_user):
    assert len(NBCONVERT_POINTS) == 16
    page = watched
    owner = make_user(Role.STUDENT)
    notebook = hostile_catalogue
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=owner, parameters={"steps": 3, "device": "auto"},
        timeout_seconds=300, memory_limit_mb=2048,
    )  # fmt: skip
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    output = run.output_html.open("rb").read().decode()
    assert output.count("__pwned") >= len(PAYLOADS) / 2, (
        "the payloads must reach the rendered output (else the test proves nothing)"
    )
    sign_in(page, owner, live_server.url)

    page.goto(f"/notebooks/{SLUG}/")
    assert_inert(page, "catalogue page")
    screenshot(page, "hostile-catalogue-page")
    page.goto("/notebooks/")
    assert_inert(page, "catalogue list")

    page.goto(f"/runs/{run.pk}/")
    title = page.title()
    frame_element = page.wait_for_selector("iframe[data-frame][src]")
    frame_element.content_frame().wait_for_load_state()
    assert_inert(page, "run page with its framed output", title)
    screenshot(page, "hostile-run-page")
    # CSS in the output (a full-screen overlay, a fake sign-in form) stays inside its frame: the
    # portal's own header and the run's title are still what the reader sees and clicks.
    on_top = page.evaluate(
        "() => [document.elementFromPoint(20, 20).closest('header') !== null,"
        " (box => document.elementFromPoint(box.left + 5, box.top + 5).closest('h1') !== null)"
        "(document.querySelector('#run h1').getBoundingClientRect())]"
    )
    assert on_top == [True, True], on_top
    sandbox = frame_element.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox

    response = page.goto(f"/runs/{run.pk}/output.html")
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert_inert(page, "the output opened directly")
    assert page.evaluate("() => { try { return document.cookie } catch (error) { return 'blocked' } }") in {"", "blocked"}
    screenshot(page, "hostile-output-direct")
    page.goto("/runs/")
    assert_inert(page, "my runs")


def test_display_names_motivations_and_course_titles_stay_text(watched, live_server, make_user):
    from courses.models import Course, Enrolment, Institution

    page = watched
    steward = make_user(Role.STEWARD)
    instructor = make_user(Role.INSTRUCTOR, display_name=PAYLOADS[7][1][:150])
    home = Institution.objects.create(name_zh="大学", name_en=PAYLOADS[0][1][:200], email_domain="hostile.edu.cn")
    for index, (_, payload) in enumerate(PAYLOADS):
        applicant = make_user(display_name=payload[:150])
        RoleApplication.objects.create(applicant=applicant, role=Role.AUDITOR, motivation=payload)
        course = Course.objects.create(
            institution=home, code=f"H{index}", title=payload[:200], term="2026", invite_code=f"HOSTILE{index:03d}",
            created_by=instructor,
        )  # fmt: skip
        Enrolment.objects.create(course=course, user=instructor, role="instructor", source="created")
        Enrolment.objects.create(course=course, user=applicant, role="student", source="csv")

    sign_in(page, steward, live_server.url)
    page.goto("/accounts/roles/queue/")
    assert "onerror" in page.inner_text("main"), "the payloads must be on the page, as text"
    assert_inert(page, "approval queue")
    screenshot(page, "hostile-approval-queue")

    page.context.clear_cookies()
    sign_in(page, instructor, live_server.url)
    page.goto("/courses/")
    assert_inert(page, "course list")
    screenshot(page, "hostile-course-list")
    for course in Course.objects.order_by("pk")[:12]:
        page.goto(f"/courses/{course.pk}/")
        assert_inert(page, f"course page {course.code}")
    screenshot(page, "hostile-course-page")


def test_user_markdown_alone_keeps_every_payload_inert(watched, live_server):
    """The sanitiser without the CSP's help: the rendered corpus served on the portal's origin, no policy."""
    page = watched
    parts = []
    for name, payload in PAYLOADS:
        parts.append(f"<section><h2>{name}</h2>{render_user_markdown(payload)}</section>")
        parts.append(render_user_markdown(f"[{name}]({payload})"))
        parts.append(render_user_markdown(f"> {payload}\n\n* {payload}\n\n| a |\n|---|\n| {payload} |"))
    document = "<!DOCTYPE html><html><head><title>markdown corpus</title></head><body>" + "".join(parts) + "</body></html>"
    page.route(
        "**/__markdown_corpus__",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=document),
    )

    page.goto("/__markdown_corpus__")
    for link in page.locator("a").all()[:40]:
        link.click(modifiers=["Alt"], no_wait_after=True, timeout=2000)  # a click follows nothing scripted
    page.hover("body")

    assert_inert(page, "user markdown", "markdown corpus")
    assert page.locator("script, iframe, object, embed, svg, math, style, img, form, base, meta[http-equiv]").count() == 0
    assert all(
        not href.lower().startswith(("javascript", "data", "vbscript"))
        for href in page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href') || '')")
    )
    screenshot(page, "hostile-user-markdown")
