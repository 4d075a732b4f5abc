"""axe-core (the npm package, read from node_modules and injected into the page: nothing from a CDN) finds no
serious or critical violation on each role's main pages (in English, and each role's first page in Chinese); and a student starts a run of
an assignment with the keyboard alone.

Cost: one matrix world and about 27 page loads through axe (1.5–2.5 minutes on the shared 2-core machine).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import tests.portal.test_permission_matrix as matrix
from notebooks.models import Run
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_every_page_fits import MAIN_PAGES

# The matrix's fixtures, used here under the same names.
world = matrix.world
guide_imported = matrix.guide_imported

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / "node_modules" / "axe-core" / "axe.min.js"))
SERIOUS = {"serious", "critical"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); npm ci installs it from package-lock.json")
    return AXE.read_text(encoding="utf-8")


def _violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe_source)
    return list(page.evaluate(RUN_AXE))


def test_axe_sees_a_serious_violation(browser, live_server, axe_source):
    # The partner of the check below: an image without alternative text is reported as serious or critical.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/about/")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/x.png'; document.querySelector('main').append(i); }"
    )
    found = _violations(page, axe_source)
    context.close()

    assert any(v["id"] == "image-alt" and v["impact"] in SERIOUS for v in found)


def test_each_roles_main_pages_have_no_serious_or_critical_violation(
    browser,
    live_server,
    world,
    guide_imported,
    make_user,
    axe_source,
):
    problems = []
    checked = 0
    for role, routes in MAIN_PAGES.items():
        for language in ("en-US", "zh-CN"):
            context = browser.new_context(
                base_url=live_server.url, locale=language, bypass_csp=True, viewport={"width": 1280, "height": 800}
            )
            context.set_extra_http_headers({"Accept-Language": "en" if language == "en-US" else "zh-hans"})
            page = context.new_page()
            if role != "anonymous":
                sign_in(page, world["users"][role], live_server.url)
            # Chinese on each role's first page only: contrast and structure do not change with the language.
            for route in routes if language == "en-US" else routes[:1]:
                path = matrix._url(route, world, role, make_user)
                assert page.goto(path).status == 200, path
                checked += 1
                for violation in _violations(page, axe_source):
                    if violation["impact"] in SERIOUS:
                        problems.append(
                            f"{role} {language} {path}: {violation['id']} ({violation['impact']}) {violation['help']} at {violation['nodes']}"
                        )
            context.close()
    assert checked >= 25
    assert problems == [], "\n".join(problems)


def test_a_student_starts_an_assignment_run_with_the_keyboard_alone(browser, live_server, world, make_user):
    course_rows = world["tests.courses.permission_rows"]
    assignment = course_rows["assignment"]
    student = world["users"]["student"]
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, student, live_server.url)
    page.goto(f"/courses/assignments/{assignment.pk}/")
    before = Run.objects.filter(owner=student).count()

    # Tab from the top of the page to the run form's first number parameter, the way a keyboard user would.
    first_field = page.locator("form[data-run-form] input[type=number]").first
    name = first_field.get_attribute("name")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.name") == name:
            break
    else:
        pytest.fail("the run form's number field cannot be reached with Tab")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")  # submits the form from a field, as browsers do
    page.wait_for_load_state()
    screenshot(page, "keyboard-run-started")

    context.close()
    assert Run.objects.filter(owner=student).count() == before + 1
    assert Run.objects.filter(owner=student).latest("pk").parameters[name.removeprefix("p_")] == 4
