"""Builders for course tests: an institution, a course with its instructor, students, an assignment."""

from __future__ import annotations

import itertools
from typing import Any

from accounts.models import Role, User
from courses.models import Assignment, Course, Enrolment, Institution, InstitutionMember, Submission
from notebooks.models import Notebook, Run

_numbers = itertools.count(1)


def institution(domain: str | None = None) -> Institution:
    n = next(_numbers)
    return Institution.objects.create(
        name_zh=f"测试大学{n}", name_en=f"Test University {n}", email_domain=domain or f"u{n}.edu.cn"
    )


def course(make_user: Any, *, at: Institution | None = None, instructor: User | None = None) -> Course:
    place = at or institution()
    teacher = instructor or make_user(Role.INSTRUCTOR)
    InstitutionMember.objects.get_or_create(institution=place, user=teacher)
    made = Course.objects.create(
        institution=place, code=f"C{next(_numbers)}", title="Model factory", term="2026 autumn",
        invite_code=f"INV{next(_numbers):05d}", created_by=teacher,
    )  # fmt: skip
    Enrolment.objects.create(course=made, user=teacher, role="instructor", source="created")
    return made


def instructor_of(course: Course) -> User:
    return course.enrolments.get(role="instructor").user


def student_in(course: Course, make_user: Any) -> User:
    student = make_user(Role.STUDENT)
    Enrolment.objects.create(course=course, user=student, role="student", source="csv")
    return student


def assignment(course: Course, slug: str = "short", **fields: Any) -> Assignment:
    notebook = Notebook.objects.get(slug=slug)
    return Assignment.objects.create(
        course=course, title=f"Run {slug}", notebook=notebook, version=notebook.current_version,
        created_by=instructor_of(course), **fields,
    )  # fmt: skip


def finished(assignment: Assignment, student: User, status: str = Run.Status.SUCCEEDED, **fields: Any) -> Submission:
    """A student's submission of `assignment` whose run ended with `status` (metrics, error... in `fields`)."""
    run = Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, parameters={"steps": 3, "device": "auto"},
        timeout_seconds=60, memory_limit_mb=512, status=status, **fields,
    )  # fmt: skip
    return Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student)
