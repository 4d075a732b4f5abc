"""What needs me: notifications in the portal and by e-mail, the inbox, my-work page and contributor pages."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Notification, Role
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_submitted_audit_notifies_the_auditors_who_may_decide_it(api, make_user, django_capture_on_commit_callbacks):
    owner, author, reviewer, conflicted = (make_user(Role.AUDITOR) for _ in range(4))
    bystander = make_user(Role.CURATOR)
    model = register(owner)
    api(conflicted).post(f"/api/v1/models/{model.slug}/conflicts/", {"reason": "Co-author"}, format="json")
    audit_id = (
        api(author)
        .post("/api/v1/audits/", {"model": model.slug, "kind": "bias", "title": "Gaps", "summary": "x"}, format="json")
        .json()["id"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        api(author).post(f"/api/v1/audits/{audit_id}/submit/")

    notified = set(Notification.objects.filter(kind="audit.submitted").values_list("user__username", flat=True))
    assert notified == {reviewer.username}
    assert [m.to for m in mail.outbox] == [[reviewer.email]] and f"/audits/{audit_id}/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        api(reviewer).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")
    assert Notification.objects.filter(user=author, kind="audit.accept").exists()
    assert not Notification.objects.filter(user=bystander).exists()


def test_owners_hear_about_certification(make_user):
    owner = make_user(Role.CURATOR)
    model = register(owner)

    certify(model.current_version)

    assert Notification.objects.filter(user=owner, kind="certification.granted", message__contains="certified until").exists()


def test_the_inbox_shows_and_marks_read(client, make_user):
    user = make_user(Role.STUDENT)
    Notification.objects.create(user=user, kind="x", message="Something needs you", url="/runs/")
    Notification.objects.create(user=make_user(), kind="x", message="Someone else's")
    client.force_login(user)

    page = client.get("/accounts/notifications/").content.decode()
    home = client.get("/").content.decode()
    client.post("/accounts/notifications/")

    assert "Something needs you" in page and "Someone else" not in page
    assert 'data-unread="1"' in home
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_my_work_shows_each_roles_queue(client, make_user, api):
    owner, author, reviewer = make_user(Role.CURATOR), make_user(Role.AUDITOR), make_user(Role.AUDITOR, Role.STEWARD)
    model = register(owner)
    audit_id = (
        api(author)
        .post("/api/v1/audits/", {"model": model.slug, "kind": "bias", "title": "Gaps", "summary": "x"}, format="json")
        .json()["id"]
    )
    api(author).post(f"/api/v1/audits/{audit_id}/submit/")
    client.force_login(reviewer)

    html = client.get("/me/").content.decode()

    assert 'data-section="auditor"' in html and f"/audits/{audit_id}/" in html and 'data-section="steward"' in html


def test_contributor_pages_count_what_people_did(client, make_user, api):
    owner, author, reviewer = make_user(Role.CURATOR), make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    model = register(owner)
    audit_id = (
        api(author)
        .post("/api/v1/audits/", {"model": model.slug, "kind": "bias", "title": "Gaps", "summary": "x"}, format="json")
        .json()["id"]
    )
    api(author).post(f"/api/v1/audits/{audit_id}/submit/")
    api(reviewer).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")

    people = client.get("/people/").content.decode()
    profile = client.get(f"/people/{author.username}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-role="auditor"' in people and f"/people/{author.username}/" in people
    assert "<strong>1</strong> audits submitted" in profile and author.email not in profile
    assert client.get("/people/nobody-here/").status_code == 404


def test_a_decision_resolves_the_waiting_notification_and_each_reader_reads_their_language(api, make_user, client):
    owner, author, reviewer = (make_user(Role.AUDITOR) for _ in range(3))
    model = register(owner)
    audit_id = (
        api(author)
        .post("/api/v1/audits/", {"model": model.slug, "kind": "bias", "title": "Gaps", "summary": "x"}, format="json")
        .json()["id"]
    )
    api(author).post(f"/api/v1/audits/{audit_id}/submit/")
    waiting = Notification.objects.get(user=reviewer, kind="audit.submitted")
    assert waiting.resolved_at is None and waiting.topic == f"audit:{audit_id}:decision"

    api(reviewer).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")

    waiting.refresh_from_db()
    assert waiting.resolved_at is not None and waiting.read_at is not None
    client.force_login(reviewer)
    inbox = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-resolved" in inbox and f"Audit #{audit_id} of {model.slug} waits for a decision: Gaps" in inbox
    client.force_login(author)
    english = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"Your audit #{audit_id} was decided: accepted" in english
    assert f"你的审计 #{audit_id} 已有决定：已接受" in chinese and "decided" not in chinese
