"""Permission-matrix rows for the lab's routes and the OAuth 2 provider's (see tests/portal/test_permission_matrix.py).

The matrix runs without a Hub (HUB_URL empty): a member who may open or submit is sent back to the page with
"the lab is not available" (302); who may not gets 403, and who cannot see the course 404.
"""

from __future__ import annotations

from typing import Any

from courses.models import Assignment, Course, Enrolment, Institution, Submission
from notebooks.models import Notebook, Run

VISITORS: dict[str, list[str]] = {}

LAB_MEMBERS = ("student", "instructor", "institution_admin", "administrator")

ROUTES: dict[str, dict[str, dict[str, int]]] = {
    # The OAuth 2 endpoints JupyterHub uses: no client, no grant — refused, and nothing issued.
    "o/authorize/": {"GET": {"anonymous": 302, "*": 400}},
    "o/token/": {"POST": {"*": 400}},
    "o/revoke_token/": {"POST": {"*": 400}},
    "oauth/userinfo/": {"GET": {"*": 403}},  # a bearer token only, never the session
    "labs/notebooks/<slug:slug>/open/": {
        "POST": {
            "anonymous": 302,
            "student": 302,
            "other_student": 302,
            "instructor": 302,
            "other_instructor": 302,
            "administrator": 302,
            "*": 403,
        }
    },
    "labs/assignments/<int:pk>/open/": {"POST": {"anonymous": 302, **dict.fromkeys(LAB_MEMBERS, 302), "*": 404}},
    "labs/assignments/<int:pk>/submit/": {
        "POST": {"anonymous": 302, "student": 302, "instructor": 403, "institution_admin": 403, "administrator": 403, "*": 404}
    },
    "labs/submissions/<int:pk>/changes/": {
        "GET": {"anonymous": 302, "student": 200, "instructor": 200, "institution_admin": 200, "administrator": 200, "*": 404}
    },
}


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    home = Institution.objects.create(name_zh="实验大学", name_en="Lab University", email_domain="lab.edu.cn")
    course = Course.objects.create(
        institution=home, code="LAB1", title="Labs", term="2026 autumn", invite_code="MATRIXLB", created_by=users["instructor"]
    )
    home.members.create(user=users["institution_admin"], is_admin=True)
    Enrolment.objects.create(course=course, user=users["instructor"], role="instructor", source="created")
    Enrolment.objects.create(course=course, user=users["student"], role="student", source="csv")
    notebook = Notebook.objects.get(slug="short")
    assignment = Assignment.objects.create(
        course=course, title="Short", notebook=notebook, version=notebook.current_version, created_by=users["instructor"]
    )
    edited = notebook.current_version.source.replace("print('total', total)", "print('edited', total)")
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=users["student"], parameters={"steps": 3},
        timeout_seconds=60, memory_limit_mb=512, status=Run.Status.SUCCEEDED, input_source=edited,
    )  # fmt: skip
    submission = Submission.objects.create(assignment=assignment, student=users["student"], run=run, started_by=users["student"])
    return {"assignment": assignment, "submission": submission, "notebook": notebook}


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if not route.startswith("labs/"):
        return None
    pk = world["submission"].pk if route.startswith("labs/submissions/") else world["assignment"].pk
    return "/" + route.replace("<int:pk>", str(pk)).replace("<slug:slug>", world["notebook"].slug)
