from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from tests.portal import test_permission_matrix as matrix

pytestmark = pytest.mark.django_db

# The permission matrix's world (every app's objects) and imported guide, for the route-wide header test.
world = matrix.world
guide_imported = matrix.guide_imported


def _switch(client: Client, language: str) -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302


def test_home_renders_in_both_languages_with_the_switch():
    client = Client()

    _switch(client, "en")
    english = client.get("/").content.decode()
    _switch(client, "zh-hans")
    chinese = client.get("/").content.decode()

    assert '<html lang="en">' in english
    assert "Sign in" in english
    assert "Model auditors" in english
    assert '<html lang="zh-hans">' in chinese
    assert "登录" in chinese
    assert "模型审计员" in chinese


def test_browser_language_is_honoured_without_a_switch():
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/").content.decode()

    assert '<html lang="en">' in page


def test_navigation_follows_the_users_roles(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    anonymous = client.get("/").content.decode()
    client.force_login(make_user(Role.STUDENT))
    student = client.get("/").content.decode()
    client.force_login(make_user(Role.STEWARD))
    steward = client.get("/").content.decode()

    assert "Role approvals" not in anonymous
    assert "Sign in" in anonymous
    assert "Role approvals" not in student
    assert "Sign out" in student
    assert "Role approvals" in steward
    assert "Audit log" in steward


def _policy(response) -> dict[str, str]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def _hygiene_failures(response, what: str) -> list[str]:
    """The deployment headers every answer needs. `object-src` falls back to `default-src` (CSP 3);
    `base-uri` and `frame-ancestors` have no fallback, so they must be there themselves."""
    failures = []
    if "Content-Security-Policy" not in response:
        return [f"{what}: no Content-Security-Policy"]
    policy = _policy(response)
    if policy.get("object-src", policy.get("default-src")) != "'none'":
        failures.append(f"{what}: object-src is not 'none'")
    if policy.get("base-uri") != "'none'":
        failures.append(f"{what}: base-uri is not 'none'")
    if "frame-ancestors" not in policy:
        failures.append(f"{what}: no frame-ancestors")
    if response.get("X-Content-Type-Options") != "nosniff":
        failures.append(f"{what}: no X-Content-Type-Options: nosniff")
    if not response.get("Referrer-Policy"):
        failures.append(f"{what}: no Referrer-Policy")
    return failures


def test_an_error_page_carries_the_policy_under_debug_too(settings):
    settings.DEBUG = True  # bin/up's setting: django-csp alone would leave 404 and 500 pages without one

    response = Client().get("/no-such-page/")

    assert response.status_code == 404 and "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/no-such-page/", "/api/v1/roles/counts/"])
def test_every_response_carries_the_security_headers(path):
    response = Client().get(path)
    policy = response["Content-Security-Policy"]

    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_every_route_answers_with_the_deployment_headers(world, guide_imported, make_user):
    """Every route from the URL resolver (new apps included), GET, anonymous and signed in: whatever the
    status (200, 302, 403, 404, 405), the answer carries CSP with `object-src 'none'`, `base-uri 'none'`
    and `frame-ancestors`, `X-Content-Type-Options: nosniff` and a `Referrer-Policy`. The runs get output
    files first, so the routes that serve them answer with their own (sandbox) policy, not a 404."""
    from django.core.files.base import ContentFile
    from django.urls import get_resolver

    from notebooks.models import Run
    from tests.portal.test_permission_matrix import UNDECLARED_PREFIXES, _routes, _url

    for run in Run.objects.all():
        run.output_html.save(f"run-{run.pk}.html", ContentFile(b"<h1>out</h1>"), save=False)
        run.output_notebook.save(f"run-{run.pk}.ipynb", ContentFile(b"{}"), save=False)
        run.save()
    routes = sorted(route for route in _routes(get_resolver().url_patterns) if not route.startswith(UNDECLARED_PREFIXES))
    assert len(routes) > 40
    failures = []
    seen = set()
    for visitor in ("anonymous", "student"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if visitor != "anonymous":
            client.force_login(world["users"][visitor])
        for route in [*routes, "admin/"]:
            response = client.get(_url(route, world, visitor, make_user))
            seen.add(response.status_code)
            failures += _hygiene_failures(response, f"GET {route} as {visitor} ({response.status_code})")
    assert failures == []
    assert 200 in seen


def test_pages_contain_no_inline_script():
    page = Client().get("/").content.decode()

    assert "<script>" not in page
    assert "<script src=" in page


def test_signup_then_apply_for_a_role_in_the_browser_flow():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signup = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "email": "n@example.org",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert signup.status_code == 302

    applied = client.post("/accounts/roles/", {"role": "curator", "motivation": "I label data."}, follow=True)

    assert applied.status_code == 200
    assert "Pending" in applied.content.decode()


def test_approval_queue_page_is_403_for_students_and_works_for_stewards(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.STUDENT))
    assert client.get("/accounts/roles/queue/").status_code == 403

    applicant = make_user()
    client.force_login(applicant)
    client.post("/accounts/roles/", {"role": "auditor", "motivation": "Audits"})
    steward = make_user(Role.STEWARD)
    client.force_login(steward)
    queue = client.get("/accounts/roles/queue/")
    assert applicant.username in queue.content.decode() or str(applicant) in queue.content.decode()

    from accounts.models import RoleApplication

    application = RoleApplication.objects.get(applicant=applicant)
    client.post(f"/accounts/roles/applications/{application.pk}/decide/", {"decision": "approve"})
    application.refresh_from_db()
    assert application.status == "approved"


def test_page_decision_without_the_right_is_a_403(make_user):
    from accounts.models import AuditLogEntry, RoleApplication

    application = RoleApplication.objects.create(applicant=make_user(), role=Role.AUDITOR, motivation="x")
    client = Client()
    client.force_login(make_user(Role.AUDITOR))

    response = client.post(f"/accounts/roles/applications/{application.pk}/decide/", {"decision": "approve"})

    assert response.status_code == 403
    assert AuditLogEntry.objects.filter(action="role_application.approve.denied").exists()


def test_healthz_reports_the_database():
    body = Client().get("/healthz").json()

    assert body == {"status": "ok", "database": "ok"}


def test_no_template_relies_on_inline_style_or_script():
    """The CSP allows neither inline styles nor inline scripts: a template that used them would break."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        if ' style="' in text or "<script>" in text or " onclick=" in text:
            offenders.append(str(template.relative_to(root)))
    assert offenders == []
