"""The role approval queue page: its rows, drawn in the view, are what the template loops drew (escaped names and
motivations, the revoke sentence as {% blocktranslate %} gave it), one CSRF field per form; query count flat."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test import Client

from accounts.models import Role, RoleApplication
from accounts.selectors import role_application_list_pending, role_grant_list_active
from accounts.services import role_grant

pytestmark = pytest.mark.django_db

# The rows as accounts/approval_queue.html drew them in template loops, before the view drew them.
_TEMPLATE_ROWS = """{% load i18n %}{% for application in pending %}
  <tr><td>{{ application.applicant }}</td><td>{{ application.get_role_display }}</td><td>{{ application.motivation|linebreaksbr }}</td><td>{{ application.created_at|date:"Y-m-d H:i" }}</td>
      <td><form method="post" action="{% url 'accounts:decide' application.pk %}">{% csrf_token %}
        <input type="text" name="reason" placeholder="{% translate 'Reason (optional)' %}" aria-label="{% translate 'Reason' %}">
        <button class="primary" name="decision" value="approve">{% translate "Approve" %}</button>
        <button class="secondary" name="decision" value="reject">{% translate "Reject" %}</button>
      </form></td></tr>
  {% endfor %}|{% for grant in grants %}
  <tr><td>{{ grant.user }}</td><td>{{ grant.get_role_display }}</td><td>{{ grant.granted_at|date:"Y-m-d" }}{% if grant.granted_by %} · {{ grant.granted_by }}{% endif %}</td>
      <td><details class="confirm" data-confirm-revoke><summary class="button danger small">{% translate "Revoke…" %}</summary>
        <form method="post" action="{% url 'accounts:revoke' %}" class="confirm-card card">{% csrf_token %}
        <p>{% blocktranslate with role=grant.get_role_display user=grant.user %}{{ user }} loses the role {{ role }} at once; getting it back takes a new application. The revocation is logged.{% endblocktranslate %}</p>
        <input type="hidden" name="user_id" value="{{ grant.user_id }}"><input type="hidden" name="role" value="{{ grant.role }}">
        <input type="text" name="reason" required placeholder="{% translate 'Reason' %}" aria-label="{% translate 'Reason' %}">
        <button class="danger small" type="submit">{% translate "Revoke" %}</button></form></details></td></tr>
  {% endfor %}"""
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_queue_rows_are_what_the_template_drew_escaped(make_user, language):
    # Given a hostile applicant with a multi-line hostile motivation, and roles granted by someone and by no one,
    admin = make_user(Role.ADMINISTRATOR, display_name="<i>admin</i>")
    hostile = make_user(display_name="<script>alert(1)</script>")
    RoleApplication.objects.create(applicant=hostile, role=Role.AUDITOR, motivation="I audit.\n<b>really</b> & more")
    role_grant(actor=admin, user=hostile, role=Role.CURATOR)
    role_grant(actor=None, user=make_user(username="o'brien", display_name=""), role=Role.STEWARD)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(admin)

    # when an administrator opens the queue,
    response = client.get("/accounts/roles/queue/")
    page = response.content.decode()

    # then nothing hostile is live, each form has its own CSRF field,
    assert "<script>alert" not in page and "<b>really" not in page and "<i>admin" not in page
    assert len(re.findall(r'card"><input type="hidden" name="csrfmiddlewaretoken"', page)) == 3
    # and the rows are exactly those the template loops drew.
    context = {"pending": role_application_list_pending()[:200], "grants": response.context["grants"]}
    pending, grants = _TOKEN.sub("", engines["django"].from_string(_TEMPLATE_ROWS).render(context, response.wsgi_request)).split(
        "|"
    )
    assert pending.count("<tr>") == 1 and grants.count("<tr>") == 3
    assert pending in _TOKEN.sub("", page) and grants in _TOKEN.sub("", page)


def test_the_queue_query_count_does_not_grow_with_rows(make_user, django_assert_max_num_queries):
    admin = make_user(Role.ADMINISTRATOR)
    client = Client()
    client.force_login(admin)
    RoleApplication.objects.create(applicant=make_user(), role=Role.AUDITOR, motivation="x")
    with django_assert_max_num_queries(20) as small:
        client.get("/accounts/roles/queue/")
    for _ in range(30):
        user = make_user(Role.AUDITOR)
        role_grant(actor=admin, user=user, role=Role.CURATOR)
        RoleApplication.objects.create(applicant=user, role=Role.STEWARD, motivation="y")
    with django_assert_max_num_queries(20) as large:
        client.get("/accounts/roles/queue/")
    assert len(large.captured_queries) == len(small.captured_queries)
    assert role_grant_list_active().count() > 50  # a second page of grants exists
