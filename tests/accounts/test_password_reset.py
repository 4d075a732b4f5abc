"""Password reset by e-mail: how students enrolled from a CSV (unusable password) set their first one."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import AuditLogEntry
from accounts.services import user_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-pass-phrase-77"


def _link_from(message) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def _request_reset(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def test_login_page_links_to_the_reset_form():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()

    assert 'href="/accounts/password/reset/"' in page


def test_a_csv_student_without_a_password_gets_the_mail_and_the_link_sets_one():
    student = user_create(actor=None, username="csv-student", email="csv@uni.example.edu", password=None)
    assert not student.has_usable_password()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = _request_reset(client, "CSV@uni.example.edu")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["csv@uni.example.edu"]
    assert "Go3s" in mail.outbox[0].subject
    link = _link_from(mail.outbox[0])

    landing = client.get(link)  # Django moves the token into the session and redirects
    assert landing.status_code == 302
    form_page = client.get(landing["Location"])
    assert form_page.status_code == 200
    assert "Set a new password" in form_page.content.decode()
    done = client.post(landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/complete/"
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert AuditLogEntry.objects.filter(action="user.password_reset", object_id=str(student.pk)).exists()
    signed_in = Client().post("/accounts/login/", {"username": "csv-student", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_the_link_works_once():
    user_create(actor=None, username="once", email="once@example.org", password=None)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _request_reset(client, "once@example.org")
    link = _link_from(mail.outbox[0])
    landing = client.get(link)
    client.post(landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client(HTTP_ACCEPT_LANGUAGE="en").get(link)

    assert again.status_code == 200
    assert "This link does not work" in again.content.decode()


def test_an_unknown_address_looks_the_same_and_sends_nothing(make_user):
    make_user(email="known@example.org")

    unknown = _request_reset(Client(), "nobody@example.org")

    assert unknown.status_code == 302
    assert unknown["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_inactive_accounts_get_no_mail(make_user):
    make_user(email="gone@example.org", is_active=False)

    _request_reset(Client(), "gone@example.org")

    assert mail.outbox == []


def test_a_weak_new_password_is_refused_and_nothing_changes():
    student = user_create(actor=None, username="weak", email="weak@example.org", password=None)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _request_reset(client, "weak@example.org")
    landing = client.get(_link_from(mail.outbox[0]))

    refused = client.post(landing["Location"], {"new_password1": "123", "new_password2": "123"})

    assert refused.status_code == 200
    assert "errorlist" in refused.content.decode()
    student.refresh_from_db()
    assert not student.has_usable_password()


def test_the_lockout_stays_effective_across_a_reset(make_user):
    """A reset neither signs in nor lifts an axes lockout: guessing stays blocked for the cool-off time."""
    user = make_user(email="locked@example.org")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert client.post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code == 429

    _request_reset(client, "locked@example.org")
    landing = client.get(_link_from(mail.outbox[0]))
    client.post(landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert "_auth_user_id" not in client.session
    locked = client.post("/accounts/login/", {"username": user.username, "password": NEW_PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_reset_pages_render_in_chinese():
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/accounts/password/reset/").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "Reset your password" not in page


def test_resets_to_one_address_are_limited_and_the_page_reads_the_same(settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    user_create(actor=None, username="victim", email="victim@uni.example.edu", password=None)
    pages = []
    for index in range(4):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.0.0.{index}")  # four different clients
        pages.append(_request_reset(client, "Victim@uni.example.edu"))

    # two e-mails arrive, then nothing more; every answer is the same redirect to the "sent" page
    assert len(mail.outbox) == 2
    assert {page.status_code for page in pages} == {302}
    assert {page["Location"] for page in pages} == {"/accounts/password/reset/sent/"}


def test_resets_from_one_client_are_limited_with_a_429(settings):
    settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 3
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")
    for index in range(3):
        assert _request_reset(client, f"someone{index}@uni.example.edu").status_code == 302

    refused = _request_reset(client, "someone-else@uni.example.edu")

    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600  # until the clock hour ends
    assert "Too many password reset requests" in refused.content.decode()
    # another client is still served
    assert _request_reset(Client(REMOTE_ADDR="10.9.9.10"), "someone@uni.example.edu").status_code == 302


def test_the_counters_are_shared_rows_so_every_web_process_sees_one_limit(settings):
    """The counts live in the database every process shares, not in one process's memory."""
    from accounts.models import RateCounter
    from accounts.reset_limits import _count

    settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 2
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.7.7.7")
    for index in range(2):
        assert _request_reset(client, f"person{index}@uni.example.edu").status_code == 302

    # what another web process would find: the same row, counted twice
    row = RateCounter.objects.get(key="password-reset:client:10.7.7.7")
    assert row.count == 2
    # a request counted elsewhere (another process) uses up the allowance here too
    RateCounter.objects.filter(pk=row.pk).update(count=5)
    assert _request_reset(client, "person9@uni.example.edu").status_code == 429
    assert _count("password-reset:client:10.7.7.8") == 1


def test_counters_from_past_hours_are_removed_and_do_not_count(settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import RateCounter

    settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 1
    stale = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    RateCounter.objects.create(key="password-reset:client:10.6.6.6", window_start=stale, count=50)

    assert _request_reset(Client(REMOTE_ADDR="10.6.6.6"), "someone@uni.example.edu").status_code == 302
    assert not RateCounter.objects.filter(window_start=stale).exists()
