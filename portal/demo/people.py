from __future__ import annotations

import random

from accounts.models import Role, RoleGrant, User
from accounts.services import role_grant, user_create
from courses.models import Institution
from portal.demo.names import person, universities

DEMO_PASSWORD = "go3s-demo"

# One login per role, to try the portal as each kind of user.
DEMO_LOGINS = [
    ("demo-auditor", Role.AUDITOR),
    ("demo-auditor2", Role.AUDITOR),
    ("demo-curator", Role.CURATOR),
    ("demo-maintainer", Role.TOOLCHAIN_MAINTAINER),
    ("demo-steward", Role.STEWARD),
    ("demo-instructor", Role.INSTRUCTOR),
    ("demo-student", Role.STUDENT),
    ("demo-admin", Role.ADMINISTRATOR),
]

# The seed's community (chapter 5): 89 auditors, 142 curators, 67 toolchain maintainers, 327 universities.
SEED_FIGURES = {Role.AUDITOR: 89, Role.CURATOR: 142, Role.TOOLCHAIN_MAINTAINER: 67}
UNIVERSITIES = 327
STEWARDS = 5
INSTRUCTORS = 60
STUDENTS = 240


def _ensure_role(user: User, role: str) -> None:
    if not RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        role_grant(actor=None, user=user, role=role)


def _ensure_user(username: str, *, rng: random.Random, password: str | None, email_domain: str = "go3s.example") -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    zh, en = person(rng)
    return user_create(
        actor=None, username=username, email=f"{username}@{email_domain}", password=password, display_name=f"{zh} {en}"
    )


def seed_people(log: list[str]) -> None:
    rng = random.Random(20261127)
    for username, role in DEMO_LOGINS:
        user = _ensure_user(username, rng=rng, password=DEMO_PASSWORD)
        if role == Role.ADMINISTRATOR and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        _ensure_role(user, role)

    for zh, en, domain in universities(UNIVERSITIES):
        Institution.objects.get_or_create(email_domain=domain, defaults={"name_zh": zh, "name_en": en, "country": "CN"})

    for role, count in {**SEED_FIGURES, Role.STEWARD: STEWARDS, Role.INSTRUCTOR: INSTRUCTORS, Role.STUDENT: STUDENTS}.items():
        held = RoleGrant.objects.filter(role=role, revoked_at__isnull=True).count()
        index = 0
        while held < count:
            index += 1
            user = _ensure_user(f"{role.replace('_', '-')}-{index:03d}", rng=rng, password=None)
            if not RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
                role_grant(actor=None, user=user, role=role)
                held += 1
        log.append(f"{role}: {held}")
    log.append(f"institutions: {Institution.objects.count()}")
