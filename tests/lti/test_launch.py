"""A launch from the LMS: a first launch creates the person (by issuer and sub, never by e-mail), enrols
them and lands on the bound assignment; every forged, stale or incomplete launch is refused with a
clear page in either language and creates nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from bs4 import BeautifulSoup

from accounts.models import AuditLogEntry, User
from courses.models import Enrolment
from lti.models import ContextBinding, LtiIdentity, ResourceLink
from tests.courses import factories
from tests.lti.platform import INSTRUCTOR, LEARNER, new_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def binding(platform, make_user) -> ContextBinding:
    """An LMS course bound to a portal course."""
    course = factories.course(make_user, at=platform.institution)
    return ContextBinding.objects.create(platform=platform, context_id="ctx-1", course=course, deployment_id="deployment-1")


@pytest.fixture
def bound(binding, catalogue) -> dict[str, Any]:
    """The bound course with one assignment."""
    return {"course": binding.course, "assignment": factories.assignment(binding.course), "binding": binding}


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        LtiIdentity.objects.count(),
        Enrolment.objects.count(),
        ContextBinding.objects.count(),
        ResourceLink.objects.count(),
        AuditLogEntry.objects.filter(action__startswith="lti.").count(),
    )


def test_first_launch_creates_the_student_enrols_them_and_lands_on_the_assignment(do_launch, bound, client) -> None:
    assignment = bound["assignment"]
    # Someone already has the e-mail the LMS sends: the launch must not sign in as them.
    User.objects.create(username="namesake", email="student-1@lms.example.edu")

    response = do_launch(sub="student-1", custom={"assignment": str(assignment.pk)})

    assert response.status_code == 302 and response["Location"] == f"/courses/assignments/{assignment.pk}/"
    identity = LtiIdentity.objects.select_related("user").get(sub="student-1")
    assert identity.user.username != "namesake" and identity.user.display_name == "Person student-1"
    enrolment = Enrolment.objects.get(course=bound["course"], user=identity.user)
    assert (enrolment.role, enrolment.source) == ("student", "lms")
    link = ResourceLink.objects.get(resource_link_id="link-1")
    assert link.assignment == assignment and link.lineitem_url.endswith("/contexts/ctx-1/lineitems/link-1")
    page = client.get(response["Location"])
    assert page.status_code == 200 and assignment.title in page.content.decode()

    # A second launch of the same person signs in the same account.
    again = do_launch(sub="student-1")
    assert again.status_code == 302 and again["Location"] == f"/courses/assignments/{assignment.pk}/"
    assert LtiIdentity.objects.count() == 1 and User.objects.filter(lti_identities__sub="student-1").count() == 1


def _refusal_code(response: Any) -> str:
    found = BeautifulSoup(response.content, "html.parser").select_one("[data-lti-refusal]")
    assert found is not None, response.content[:500]
    return str(found["data-lti-refusal"])


def _resign_with_other_key(lms: Any) -> Any:
    _, other_pem = new_key()
    return lambda body: lms.sign(body, key_pem=other_pem)


CASES = {
    "bad signature": ("lti_bad_signature", lambda lms: {"tamper": _resign_with_other_key(lms)}),
    "wrong audience": ("lti_wrong_audience", lambda lms: {"aud": "some-other-tool"}),
    "wrong issuer": ("lti_unknown_platform", lambda lms: {"iss": "https://lms.elsewhere.example"}),
    "unknown deployment": (
        "lti_unknown_deployment",
        lambda lms: {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-9"},
    ),
    "expired token": ("lti_expired", lambda lms: {"exp": int(time.time()) - 60, "iat": int(time.time()) - 400}),
    "missing claims": ("lti_missing_claims", lambda lms: {"https://purl.imsglobal.org/spec/lti/claim/context": None}),
    "malformed context": ("lti_missing_claims", lambda lms: {"https://purl.imsglobal.org/spec/lti/claim/context": "ctx-1"}),
    "missing sub": ("lti_missing_claims", lambda lms: {"tamper": lambda body: lms.sign({**body, "sub": ""})}),
}
SENTENCES = {
    "en": "The launch from your LMS was refused",
    "zh-hans": "来自学习管理系统的启动被拒绝",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_launch_is_refused_with_a_clear_page_and_creates_nothing(case, language, do_launch, binding, lms, client) -> None:
    code, claims = CASES[case]
    client.cookies["django_language"] = language
    before = _counts()

    response = do_launch(sub="student-2", **claims(lms))

    assert 400 <= response.status_code < 500
    assert _refusal_code(response) == code
    assert SENTENCES[language] in BeautifulSoup(response.content, "html.parser").h1.text
    assert _counts() == before
    assert "_auth_user_id" not in client.session


def test_a_replayed_launch_is_refused(do_launch, binding, lms, client) -> None:
    from tests.lti.conftest import login_step

    state, nonce = login_step(client, lms)
    token = lms.sign(lms.claims(nonce, sub="student-3"))
    assert client.post("/lti/launch/", {"id_token": token, "state": state}).status_code == 302
    client.logout()
    before = _counts()

    replay = client.post("/lti/launch/", {"id_token": token, "state": state})

    assert replay.status_code == 400
    assert _refusal_code(replay) == "lti_replayed"
    assert _counts() == before and "_auth_user_id" not in client.session


def test_a_student_of_an_unbound_lms_course_is_told_to_wait_and_nothing_is_created(do_launch, platform) -> None:
    before = _counts()
    response = do_launch(sub="student-4", context_id="ctx-new", roles=[LEARNER])
    assert response.status_code == 409
    assert _counts() == before


def test_an_instructor_binds_an_unbound_lms_course_to_a_new_course(do_launch, platform, client) -> None:
    response = do_launch(sub="teacher-1", context_id="ctx-new", roles=[INSTRUCTOR])
    assert response.status_code == 302 and response["Location"] == "/lti/bind/"
    form = client.get("/lti/bind/")
    assert form.status_code == 200 and 'value="ML101"' in form.content.decode()

    created = client.post("/lti/bind/", {"code": "ML101", "title": "Machine learning 101", "term": "2026 autumn"})

    binding = ContextBinding.objects.select_related("course").get(context_id="ctx-new")
    assert created.status_code == 302 and created["Location"] == f"/courses/{binding.course.pk}/"
    assert binding.course.institution == platform.institution
    assert Enrolment.objects.get(course=binding.course, user__lti_identities__sub="teacher-1").role == "instructor"


def test_an_administrator_registers_a_platform_in_the_admin_and_it_is_logged(make_user, client) -> None:
    from courses.models import Institution
    from lti.models import Platform

    place = Institution.objects.create(name_zh="某大学", name_en="Some University", email_domain="some.edu.cn")
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        "/admin/lti/platform/add/",
        {
            "name": "Canvas", "institution": place.pk, "issuer": "https://canvas.instructure.com", "client_id": "10000000000001",
            "deployment_ids": "12:abc, 13:def", "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://canvas.example.edu/login/oauth2/token", "auth_audience": "",
            "keyset_url": "https://sso.canvaslms.com/api/lti/security/jwks",
        },
    )  # fmt: skip

    assert response.status_code == 302
    platform = Platform.objects.get()
    assert platform.deployment_ids == ["12:abc", "13:def"] and platform.key_id and "PRIVATE KEY" in platform.private_key_pem
    assert AuditLogEntry.objects.filter(action="lti.platform_register", actor=admin).exists()
    (key,) = client.get("/lti/jwks/").json()["keys"]
    assert key["kid"] == platform.key_id and "d" not in key  # the public half only
