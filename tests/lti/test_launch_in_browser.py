"""A real browser launches from the test LMS: an instructor's deep-linking launch from an LMS course the
portal does not know lands on the binding page, creates the course, picks a notebook, and the signed reply
is posted back to the LMS (through the page's policy, which admits the LMS's origin as a form target).
The LMS pages fit a phone, axe finds no serious violation, and each is photographed in both languages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from accounts.models import Role
from courses.models import Assignment
from lti.models import ContextBinding
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import RUN_AXE, SERIOUS
from tests.lti.platform import INSTRUCTOR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _check(page: Any, axe_source: str, name: str) -> None:
    """Fits 390 px and 1280 px, no serious axe violation; photographed at both widths."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate(FITS), f"{name} overflows at {width} px"
        screenshot(page, f"lti-{name}-{width}")
    page.evaluate(axe_source)  # evaluated by the browser's devtools, outside the page's script policy
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
    assert serious == [], (name, serious)


@pytest.fixture
def axe_source() -> str:
    from tests.browser.test_accessibility import AXE

    if not AXE.exists():
        pytest.skip("axe-core is not installed")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_instructor_deep_links_a_notebook_from_the_lms_in_a_browser(
    language, browser, live_server, lms, platform, catalogue, axe_source, make_user
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    lms.next_launch = {"sub": "teacher-1", "roles": [INSTRUCTOR], "context_id": "ctx-b", "message_type": "LtiDeepLinkingRequest"}
    query = {
        "iss": lms.issuer,
        "login_hint": "h",
        "client_id": lms.client_id,
        "target_link_uri": f"{live_server.url}/lti/launch/",
    }

    page.goto(f"/lti/login/?{urlencode(query)}")

    page.wait_for_url("**/lti/bind/")
    _check(page, axe_source, f"bind-{language}")
    page.fill("input[name=term]", "2026 autumn")
    page.click("form[data-lti-bind] button[type=submit]")
    page.wait_for_url("**/lti/deep-link/")
    _check(page, axe_source, f"deep-link-{language}")
    page.select_option(
        "select[name=notebook]", label=page.locator("select[name=notebook] option", has_text="short").first.inner_text()
    )
    page.click("form[data-lti-pick] button[type=submit]")
    page.wait_for_url(f"{lms.base}/deep_link_return")

    assert "ok" in page.content()
    (reply,) = lms.deep_link_replies
    (item,) = reply["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    binding = ContextBinding.objects.get(context_id="ctx-b")
    assert item["custom"]["assignment"] == str(Assignment.objects.get(course=binding.course).pk)

    # The course's LMS page, and the setup values for an administrator.
    page.goto(f"/lti/courses/{binding.course.pk}/")
    _check(page, axe_source, f"course-links-{language}")
    sign_in(page, make_user(Role.ADMINISTRATOR), live_server.url)
    page.goto("/lti/setup/")
    assert page.locator("[data-lti-values] code").first.inner_text() == f"{live_server.url}/lti/login/"
    _check(page, axe_source, f"setup-{language}")
    # A refused launch: its page too.
    page.goto(f"/lti/login/?{urlencode({**query, 'iss': 'https://unknown.example'})}")
    _check(page, axe_source, f"refused-{language}")
    context.close()
