"""Sign in with a university in Chromium (issue #19 item 1): the login page's "Sign in with <University>" button,
the real OpenID Connect provider's own login and consent pages (tests/oidc), and back on the portal signed in,
with the account created and the identity linked; then the sign-in methods page lists it."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount

from tests.browser.conftest import screenshot
from tests.oidc.server import PROVIDER_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_a_university_in_the_browser(browser, live_server, oidc_provider):
    oidc_provider.social_app(name="Example University")
    # The provider knows the portal by its loopback address (a native client's redirect URI, any port).
    base_url = live_server.url.replace("localhost", "127.0.0.1")
    context = browser.new_context(base_url=base_url, locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/accounts/login/?next=/me/")
        page.get_by_role("button", name="Sign in with Example University").click()

        # At the university: its own login form, then its consent form.
        page.wait_for_url(f"{oidc_provider.issuer}/**")
        page.fill("input[name=login]", "ada.lovelace")
        page.fill("input[name=password]", "the university checks this")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{base_url}/me/")
        account = SocialAccount.objects.get(provider=PROVIDER_ID, uid="ada.lovelace")
        assert account.user.email == "ada.lovelace@uni.example.edu"
        assert page.locator(".site-header .who").inner_text().strip() == str(account.user)

        page.goto("/accounts/sign-in-methods/")
        assert "Example University" in page.locator("main").inner_text()
        screenshot(page, "sign-in-methods-390")
    finally:
        context.close()
