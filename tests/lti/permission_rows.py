"""Permission-matrix rows for the LMS link's routes (see tests/portal/test_permission_matrix.py).

The LTI login and launch are for the LMS's browser redirects: without a launch they answer 400 (the
refusal page), to everyone. In the world below "instructor" teaches a course bound to an LMS course and
"student" is enrolled in it; others see neither (404).
"""

from __future__ import annotations

import functools
from typing import Any

from courses.models import Course, Enrolment, Institution
from lti.models import ContextBinding, Platform
from lti.services.platforms import key_pair

VISITORS: dict[str, list[str]] = {}

NO_LAUNCH = {"anonymous": 302, "*": 404}  # signed in but no launch in progress: "open this from your LMS"
OVERSEERS = {"anonymous": 302, "instructor": 200, "administrator": 200, "*": 404}

ROUTES: dict[str, dict[str, dict[str, int]]] = {
    "lti/login/": {"GET": {"*": 400}, "POST": {"*": 400}},
    "lti/launch/": {"GET": {"*": 405}, "POST": {"*": 400}},
    "lti/launch/deep-link/": {"GET": {"*": 405}, "POST": {"*": 400}},
    "lti/jwks/": {"GET": {"*": 200}},
    "lti/setup/": {"GET": {"anonymous": 302, "administrator": 200, "*": 403}},
    "lti/bind/": {"GET": NO_LAUNCH, "POST": NO_LAUNCH},
    "lti/deep-link/": {"GET": NO_LAUNCH, "POST": NO_LAUNCH},
    "lti/courses/<int:pk>/": {"GET": OVERSEERS},
    # Instructors and administrators are sent back to the course's LMS page (here: "the LMS offered no roster").
    "lti/contexts/<int:pk>/roster/": {"POST": {"anonymous": 302, "instructor": 302, "administrator": 302, "*": 404}},
}


@functools.cache
def _keys() -> tuple[str, str, str]:
    return key_pair()


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    place = Institution.objects.create(name_zh="LMS 大学", name_en="LMS University", email_domain="lms.edu.cn")
    course = Course.objects.create(
        institution=place,
        code="LTI101",
        title="Launched",
        term="2026 autumn",
        invite_code="MATRIXL1",
        created_by=users["instructor"],
    )
    Enrolment.objects.create(course=course, user=users["instructor"], role="instructor", source="created")
    Enrolment.objects.create(course=course, user=users["student"], role="student", source="lms")
    private_pem, public_pem, kid = _keys()
    platform = Platform.objects.create(
        name="Matrix LMS", institution=place, issuer="https://lms.example.edu", client_id="matrix",
        auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
        keyset_url="https://lms.example.edu/jwks", deployment_ids=["1"], key_id=kid,
        private_key_pem=private_pem, public_key_pem=public_pem,
    )  # fmt: skip
    binding = ContextBinding.objects.create(platform=platform, context_id="ctx", course=course, deployment_id="1")
    return {"course": course, "binding": binding}


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if route.startswith("lti/courses/"):
        return f"/lti/courses/{world['course'].pk}/"
    if route.startswith("lti/contexts/"):
        return f"/lti/contexts/{world['binding'].pk}/roster/"
    return None
