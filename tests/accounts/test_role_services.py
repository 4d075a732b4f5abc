from __future__ import annotations

import pytest

from accounts import services
from accounts.errors import ApplicationError, NotAllowed, WrongState
from accounts.models import AuditLogEntry, Role, RoleApplication
from accounts.selectors import user_roles
from tests.conftest import audit_actions

pytestmark = pytest.mark.django_db


def _fresh(user):
    user.__dict__.pop("_portal_roles", None)
    return user


def test_application_approved_by_a_steward_grants_the_role(make_user):
    applicant, steward = make_user(), make_user(Role.STEWARD)

    application = services.role_application_create(actor=applicant, role=Role.AUDITOR, motivation="I audit models.")
    services.role_application_decide(actor=steward, application_id=application.pk, approve=True, reason="Welcome")

    application.refresh_from_db()
    assert application.status == RoleApplication.Status.APPROVED
    assert application.decided_by == steward
    assert Role.AUDITOR in user_roles(_fresh(applicant))
    assert audit_actions() == ["role_application.create", "role_application.approve", "role.grant"]
    grant_entry = AuditLogEntry.objects.get(action="role.grant")
    assert grant_entry.actor == steward
    assert grant_entry.after["role"] == "auditor"


def test_rejection_grants_nothing_and_keeps_the_reason(make_user):
    applicant, admin = make_user(), make_user(Role.ADMINISTRATOR)
    application = services.role_application_create(actor=applicant, role=Role.CURATOR, motivation="Please")

    services.role_application_decide(actor=admin, application_id=application.pk, approve=False, reason="Too new")

    application.refresh_from_db()
    assert application.status == RoleApplication.Status.REJECTED
    assert application.decision_reason == "Too new"
    assert user_roles(_fresh(applicant)) == frozenset()


def test_someone_without_the_right_is_refused_and_the_attempt_is_logged(make_user):
    applicant, auditor = make_user(), make_user(Role.AUDITOR)
    application = services.role_application_create(actor=applicant, role=Role.CURATOR, motivation="Please")

    with pytest.raises(NotAllowed):
        services.role_application_decide(actor=auditor, application_id=application.pk, approve=True)

    application.refresh_from_db()
    assert application.status == RoleApplication.Status.PENDING
    denied = AuditLogEntry.objects.get(action="role_application.approve.denied")
    assert denied.actor == auditor
    assert denied.object_id == str(application.pk)


def test_nobody_decides_their_own_application(make_user):
    steward = make_user(Role.STEWARD)
    application = services.role_application_create(actor=steward, role=Role.AUDITOR, motivation="Me too")

    with pytest.raises(NotAllowed, match="own application"):
        services.role_application_decide(actor=steward, application_id=application.pk, approve=True)

    assert Role.AUDITOR not in user_roles(_fresh(steward))
    assert "role_application.approve.denied" in audit_actions()


def test_only_an_administrator_makes_an_administrator(make_user):
    applicant, steward, admin = make_user(), make_user(Role.STEWARD), make_user(Role.ADMINISTRATOR)
    application = services.role_application_create(actor=applicant, role=Role.ADMINISTRATOR, motivation="Ops")

    with pytest.raises(NotAllowed):
        services.role_application_decide(actor=steward, application_id=application.pk, approve=True)
    services.role_application_decide(actor=admin, application_id=application.pk, approve=True)

    assert Role.ADMINISTRATOR in user_roles(_fresh(applicant))


def test_a_decided_application_cannot_be_decided_again(make_user):
    applicant, steward = make_user(), make_user(Role.STEWARD)
    application = services.role_application_create(actor=applicant, role=Role.AUDITOR, motivation="x")
    services.role_application_decide(actor=steward, application_id=application.pk, approve=False)

    with pytest.raises(WrongState):
        services.role_application_decide(actor=steward, application_id=application.pk, approve=True)

    assert Role.AUDITOR not in user_roles(_fresh(applicant))


def test_duplicate_pending_application_and_held_role_are_conflicts(make_user):
    applicant = make_user(Role.CURATOR)
    services.role_application_create(actor=applicant, role=Role.AUDITOR, motivation="x")

    with pytest.raises(WrongState, match="pending"):
        services.role_application_create(actor=applicant, role=Role.AUDITOR, motivation="again")
    with pytest.raises(WrongState, match="already hold"):
        services.role_application_create(actor=applicant, role=Role.CURATOR, motivation="x")
    with pytest.raises(ApplicationError):
        services.role_application_create(actor=applicant, role="wizard", motivation="x")
    assert RoleApplication.objects.count() == 1


def test_revocation_removes_the_role_keeps_history_and_logs(make_user):
    holder, steward = make_user(Role.INSTRUCTOR), make_user(Role.STEWARD)

    grant = services.role_revoke(actor=steward, user=holder, role=Role.INSTRUCTOR, reason="Left the university")

    assert grant.revoked_at is not None
    assert grant.revoked_by == steward
    assert user_roles(_fresh(holder)) == frozenset()
    entry = AuditLogEntry.objects.get(action="role.revoke")
    assert entry.before["revoked_at"] is None
    assert entry.after["revoked_at"] is not None
    with pytest.raises(WrongState):
        services.role_revoke(actor=steward, user=holder, role=Role.INSTRUCTOR, reason="again")


def test_revocation_by_a_non_approver_is_refused_and_logged(make_user):
    holder, student = make_user(Role.INSTRUCTOR), make_user(Role.STUDENT)

    with pytest.raises(NotAllowed):
        services.role_revoke(actor=student, user=holder, role=Role.INSTRUCTOR, reason="no")

    assert Role.INSTRUCTOR in user_roles(_fresh(holder))
    assert "role.revoke.denied" in audit_actions()


def test_withdrawal_by_the_applicant_only(make_user):
    applicant, other = make_user(), make_user()
    application = services.role_application_create(actor=applicant, role=Role.STUDENT, motivation="x")

    with pytest.raises(NotAllowed):
        services.role_application_withdraw(actor=other, application=application)
    services.role_application_withdraw(actor=applicant, application=application)

    application.refresh_from_db()
    assert application.status == RoleApplication.Status.WITHDRAWN
