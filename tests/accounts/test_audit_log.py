from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from accounts.audit import audit_log_record
from accounts.models import AuditLogEntry, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(make_user):
    return audit_log_record(actor=make_user(), action="test.action", object_type="x", object_id="1", after={"a": 1})


def test_orm_refuses_to_change_or_delete_entries(entry):
    entry.action = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLogEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(PermissionError):
        AuditLogEntry.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {AuditLogEntry._meta.db_table} SET action = 'rewritten'", f"DELETE FROM {AuditLogEntry._meta.db_table}"],
)
def test_database_refuses_raw_updates_and_deletes(entry, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditLogEntry.objects.get(pk=entry.pk).action == "test.action"


def test_admin_offers_no_add_change_or_delete(entry, make_user):
    admin_user = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = site._registry[AuditLogEntry]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_admin_change_page_is_read_only(entry, make_user, client):
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))

    page = client.get(f"/admin/accounts/auditlogentry/{entry.pk}/change/")
    post = client.post(f"/admin/accounts/auditlogentry/{entry.pk}/change/", {"action": "rewritten"})
    delete = client.post(f"/admin/accounts/auditlogentry/{entry.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert b'name="action"' not in page.content
    assert post.status_code == 403
    assert delete.status_code == 403
    assert AuditLogEntry.objects.get(pk=entry.pk).action == "test.action"


def test_entry_records_actor_object_and_change(make_user):
    actor = make_user()

    entry = audit_log_record(actor=actor, action="user.touch", obj=actor, before={"x": 1}, after={"x": 2})

    assert entry.actor_label == actor.username
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(actor.pk)
    assert (entry.before, entry.after) == ({"x": 1}, {"x": 2})
    assert entry.created_at is not None


def test_audit_log_page_is_for_stewards_and_administrators(entry, make_user, client):
    client.force_login(make_user(Role.STUDENT))
    assert client.get("/accounts/audit-log/").status_code == 403

    client.force_login(make_user(Role.STEWARD))
    page = client.get("/accounts/audit-log/")
    assert page.status_code == 200
    assert b"test.action" in page.content


def test_audit_log_entries_read_as_sentences_without_dict_reprs(make_user, client):
    steward = make_user(Role.STEWARD, username="li-na")
    audit_log_record(
        actor=steward, action="quarter.open", obj=steward, before=None,
        after={"pool_minor_units": 50_000_000, "currency": "CNY", "weights": {"default": 3}, "slugs": ["a", "b"]},
    )  # fmt: skip
    client.force_login(steward)

    english = client.get("/accounts/audit-log/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/accounts/audit-log/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "li-na opened accounts.user #" in english
    assert "pool minor units:</span> 50000000" in english and "default: 3" in english and "a, b" in english
    assert "{&#x27;" not in english and "{'" not in english and "[&#x27;" not in english
    assert "li-na 开启了 accounts.user #" in chinese


# The rows as accounts/audit_log.html drew them in a template loop, before the view drew them.
_TEMPLATE_ROWS = """{% load audit_sentences %}{% for entry in page %}
  <tr data-entry="{{ entry.pk }}"><td>{{ entry.created_at|date:"Y-m-d H:i:s" }}</td><td data-sentence>{{ entry|audit_sentence }}</td>
      <td>{% with rows=entry|audit_changes %}{% if rows %}<ul class="changes">{% for field, old, new in rows %}<li><span class="muted">{{ field }}:</span> {% if old %}<del>{{ old|truncatechars:160 }}</del> → {% endif %}{{ new|truncatechars:160 }}</li>{% endfor %}</ul>{% endif %}{% endwith %}</td>
      <td><code>{{ entry.action }}</code></td></tr>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_audit_log_rows_are_what_the_template_drew_escaped_and_clipped(make_user, client, language):
    from django.template import engines

    # Given entries with hostile values, long ones (cut at 160 characters, combining marks not counted), values only
    # on one side, a refusal, and an entry that changed nothing,
    steward = make_user(Role.STEWARD, username="<b>st</b>")
    long_text = "x" * 159 + "e\u0301" + "<script>" * 30
    audit_log_record(actor=steward, action="audit.update", obj=steward, before={"title": "<i>old</i>", "same": 1}, after={"title": long_text, "same": 1, "new": True, "name": "cafe\u0301"})  # fmt: skip
    audit_log_record(actor=None, action="audit.decide.denied", object_type="governance.audit", object_id="7", after={"e\u0301t\u00e9": "cafe\u0301" * 50})  # fmt: skip
    audit_log_record(actor=steward, action="audit.submit", obj=steward, before={"a": 1}, after={"a": 1})
    client.force_login(steward)

    # when a steward reads the log,
    response = client.get("/accounts/audit-log/", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()

    # then nothing hostile is live, the long value is cut,
    assert "<script>" not in page and "<b>st</b>" not in page and "<i>old</i>" not in page
    assert "&lt;script&gt;" not in page and "caf" in page
    # and the rows are exactly those the template loop drew.
    expected = engines["django"].from_string(_TEMPLATE_ROWS).render({"page": response.context["page"]})
    assert expected.count("<tr ") == 3 and expected in page
