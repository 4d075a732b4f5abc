from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry, Role, RoleApplication
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

APPLICATIONS = "/api/v1/roles/applications/"


def test_apply_then_steward_approves_over_the_api(make_user, api):
    applicant, steward = make_user(), make_user(Role.STEWARD)

    created = api(applicant).post(APPLICATIONS, {"role": "auditor", "motivation": "Security background"}, format="json")
    assert created.status_code == 201, created.content
    decided = api(steward).post(f"{APPLICATIONS}{created.json()['id']}/decide/", {"decision": "approve"}, format="json")

    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    me = api(applicant).get("/api/v1/me/").json()
    assert me["roles"] == ["auditor"]


def test_approval_without_the_right_is_403_and_logged(make_user, api):
    applicant, curator = make_user(), make_user(Role.CURATOR)
    application = RoleApplication.objects.create(applicant=applicant, role=Role.AUDITOR, motivation="x")

    response = api(curator).post(f"{APPLICATIONS}{application.pk}/decide/", {"decision": "approve"}, format="json")

    assert_error(response, 403, "forbidden")
    assert AuditLogEntry.objects.filter(action="role_application.approve.denied", actor=curator).exists()
    application.refresh_from_db()
    assert application.status == "pending"


def test_non_approver_gets_the_same_403_for_a_missing_id(make_user, api):
    response = api(make_user(Role.CURATOR)).post(f"{APPLICATIONS}999999/decide/", {"decision": "approve"}, format="json")

    assert_error(response, 403)


def test_approver_gets_404_for_a_missing_id(make_user, api):
    response = api(make_user(Role.STEWARD)).post(f"{APPLICATIONS}999999/decide/", {"decision": "approve"}, format="json")

    assert_error(response, 404)


def test_bad_decision_value_is_a_400_naming_the_field(make_user, api):
    application = RoleApplication.objects.create(applicant=make_user(), role=Role.AUDITOR, motivation="x")

    response = api(make_user(Role.STEWARD)).post(f"{APPLICATIONS}{application.pk}/decide/", {"decision": "maybe"}, format="json")

    assert "decision" in assert_error(response, 400, "invalid")["fields"]


def test_second_decision_is_a_409(make_user, api):
    steward = make_user(Role.STEWARD)
    application = RoleApplication.objects.create(applicant=make_user(), role=Role.AUDITOR, motivation="x")
    api(steward).post(f"{APPLICATIONS}{application.pk}/decide/", {"decision": "reject"}, format="json")

    response = api(steward).post(f"{APPLICATIONS}{application.pk}/decide/", {"decision": "approve"}, format="json")

    assert_error(response, 409, "already_decided")


def test_list_shows_only_own_applications_unless_approver_asks_for_pending(make_user, api):
    alice, bob, steward = make_user(), make_user(), make_user(Role.STEWARD)
    RoleApplication.objects.create(applicant=alice, role=Role.AUDITOR, motivation="a")
    RoleApplication.objects.create(applicant=bob, role=Role.CURATOR, motivation="b")

    alice_view = api(alice).get(APPLICATIONS + "?scope=pending").json()["results"]
    steward_view = api(steward).get(APPLICATIONS + "?scope=pending").json()["results"]

    assert [row["applicant"] for row in alice_view] == [alice.username]
    assert {row["applicant"] for row in steward_view} == {alice.username, bob.username}


def test_role_counts_are_public(make_user, api):
    make_user(Role.AUDITOR)
    make_user(Role.AUDITOR)

    counts = api(None).get("/api/v1/roles/counts/").json()

    assert counts["auditor"] == 2
    assert counts["curator"] == 0
    assert set(counts) == set(Role.values)
