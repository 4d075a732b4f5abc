"""django-csp writes the site's policy; the views that need more replace one directive and nothing else."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    return {
        name: value.strip()
        for name, _, value in (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    }


SITE = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "font-src": "'self'", "connect-src": "'self'", "frame-src": "'none'", "object-src": "'none'",
    "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
}  # fmt: skip


def test_a_page_carries_the_whole_site_policy():
    assert _policy(Client().get("/")) == SITE


def test_the_api_docs_and_the_about_page_allow_inline_styles_and_still_no_inline_script():
    from guide.services import guide_import

    guide_import(actor=None)
    for path in ("/api/docs/", "/about/"):
        response = Client().get(path)
        assert response.status_code == 200, path
        assert _policy(response) == {**SITE, "style-src": "'self' 'unsafe-inline'"}, path
