"""Permission-matrix rows for this app's routes (see tests/portal/test_permission_matrix.py).

In the world below "instructor" teaches the course, "student" is enrolled in it, "other_student" is not,
"other_instructor" teaches a course of another institution and "institution_admin" administers the
course's institution (no portal role). A course someone may not see is a 404 for them.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from courses.models import Assignment, Course, DerivedProject, Enrolment, Institution, InstitutionMember, Submission
from notebooks.models import Notebook, Run

VISITORS: dict[str, list[str]] = {"other_instructor": [Role.INSTRUCTOR], "institution_admin": []}

MEMBERS = ("student", "instructor", "institution_admin", "administrator")
MANAGERS = ("instructor", "administrator")


def _members(status: int, *, anonymous: int = 302, others: int = 404) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(MEMBERS, status), "*": others}


def _managers(status: int, *, members: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(MEMBERS, members), **dict.fromkeys(MANAGERS, status), "*": 404}


PAGE_MEMBERS = _members(200)
API_MEMBERS = _members(200, anonymous=401)
# The grade books: those who oversee the course; a student of it gets the 404 a stranger gets.
OVERSEERS_PAGE = {"anonymous": 302, "instructor": 200, "institution_admin": 200, "administrator": 200, "*": 404}
INSTRUCTOR_ONLY_POST = {"anonymous": 302, "instructor": 400, "administrator": 400, "other_instructor": 400, "*": 403}

ROUTES: dict[str, dict[str, dict[str, int]]] = {
    "courses/": {"GET": {"anonymous": 302, "*": 200}, "POST": INSTRUCTOR_ONLY_POST},
    "courses/join/": {"POST": {"anonymous": 302, "*": 302}},
    "courses/<int:pk>/": {"GET": PAGE_MEMBERS},
    "courses/<int:pk>/enrol/": {"POST": _managers(400)},
    "courses/<int:pk>/assignments/": {"POST": _managers(400)},
    "courses/<int:pk>/limits/": {"POST": _managers(302)},  # empty fields: the portal's maxima
    "courses/<int:pk>/gradebook/": {"GET": OVERSEERS_PAGE},
    "courses/<int:pk>/gradebook.csv": {"GET": OVERSEERS_PAGE},
    "courses/<int:pk>/bundle.zip": {"GET": PAGE_MEMBERS},
    "courses/assignments/<int:pk>/": {
        "GET": PAGE_MEMBERS,
        "POST": {"anonymous": 302, "student": 302, "instructor": 403, "institution_admin": 403, "administrator": 403, "*": 404},
    },
    "courses/assignments/<int:pk>/grades/": {"GET": OVERSEERS_PAGE},
    "courses/assignments/<int:pk>/grades.csv": {
        "GET": {"anonymous": 302, "instructor": 200, "institution_admin": 200, "administrator": 200, "*": 404}
    },
    "courses/assignments/<int:pk>/settings/": {
        "POST": {"anonymous": 302, "instructor": 302, "administrator": 302, "institution_admin": 403, "*": 404}
    },
    "courses/submissions/<int:pk>/rerun/": {
        "POST": {"anonymous": 302, "instructor": 302, "administrator": 302, "institution_admin": 403, "*": 404}
    },
    "courses/notebooks/<slug:slug>/bundle.zip": {"GET": {"anonymous": 302, "*": 200}},
    "courses/projects/": {"GET": {"*": 200}, "POST": INSTRUCTOR_ONLY_POST},
    "courses/projects/<int:pk>/decide/": {"POST": {"anonymous": 302, "curator": 302, "administrator": 302, "*": 404}},
    "courses/institutions/<int:pk>/": {"GET": {"*": 200}},
    "api/v1/courses/": {"GET": {"anonymous": 401, "*": 200}, "POST": {"anonymous": 401, "*": 400}},
    "api/v1/courses/<int:pk>/": {"GET": API_MEMBERS},
    "api/v1/courses/<int:pk>/enrolments/csv/": {"POST": _managers(400, anonymous=401)},
    "api/v1/courses/<int:pk>/limits/": {"GET": API_MEMBERS, "PUT": _managers(400, anonymous=401)},
    "api/v1/courses/<int:pk>/gradebook/": {"GET": {**OVERSEERS_PAGE, "anonymous": 401}},
    "api/v1/assignments/<int:pk>/settings/": {"GET": API_MEMBERS, "PUT": _managers(400, anonymous=401)},
    "api/v1/assignments/<int:pk>/runs/": {
        "GET": API_MEMBERS,
        "POST": {"anonymous": 401, "student": 201, "instructor": 403, "institution_admin": 403, "administrator": 403, "*": 404},
    },
    "api/v1/derived-projects/": {"GET": {"*": 200}},
}


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    home = Institution.objects.create(name_zh="测试大学", name_en="Test University", email_domain="test.edu.cn")
    away = Institution.objects.create(name_zh="别的大学", name_en="Other University", email_domain="other.edu.cn")
    InstitutionMember.objects.create(institution=home, user=users["instructor"])
    InstitutionMember.objects.create(institution=home, user=users["institution_admin"], is_admin=True)
    InstitutionMember.objects.create(institution=away, user=users["other_instructor"])
    course = Course.objects.create(
        institution=home,
        code="AI101",
        title="Model factory",
        term="2026 autumn",
        invite_code="MATRIX01",
        created_by=users["instructor"],
    )
    other_course = Course.objects.create(
        institution=away,
        code="AI201",
        title="Elsewhere",
        term="2026 autumn",
        invite_code="MATRIX02",
        created_by=users["other_instructor"],
    )
    Enrolment.objects.create(course=course, user=users["instructor"], role="instructor", source="created")
    Enrolment.objects.create(course=course, user=users["student"], role="student", source="csv")
    Enrolment.objects.create(course=other_course, user=users["other_instructor"], role="instructor", source="created")
    notebook = Notebook.objects.get(slug="short")
    assignment = Assignment.objects.create(
        course=course, title="Short", notebook=notebook, version=notebook.current_version, created_by=users["instructor"]
    )
    project = DerivedProject.objects.create(title="Approved", team="A", institution=home, year=2025, status="approved")
    return {"course": course, "assignment": assignment, "notebook": notebook, "home": home, "project": project, "users": users}


def _submission(world: dict[str, Any]) -> Submission:
    notebook, student = world["notebook"], world["users"]["student"]
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=student, parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512, status=Run.Status.SUCCEEDED,
    )  # fmt: skip
    return Submission.objects.create(assignment=world["assignment"], student=student, run=run, started_by=student)


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if not route.startswith(("courses/", "api/v1/courses/", "api/v1/assignments/", "api/v1/derived-projects/")):
        return None
    if route.startswith("courses/submissions/"):
        pk = _submission(world).pk
    elif route.startswith("courses/projects/<int:pk>"):
        pk = DerivedProject.objects.create(title="Pending", team="B", institution=world["home"], year=2025).pk
    elif route.startswith("courses/institutions/"):
        pk = world["home"].pk
    elif "assignments/<int:pk>" in route:
        pk = world["assignment"].pk
    else:
        pk = world["course"].pk
    return "/" + route.replace("<int:pk>", str(pk)).replace("<slug:slug>", world["notebook"].slug)
