"""Audits: the lifecycle, four eyes (author, owner, declared conflict all refused with the reason and logged),
visibility (drafts stay private, foreign audits are 404), and the suspension hook."""

from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry, Role
from governance.models import Audit, Certification
from tests.conftest import assert_error
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(make_user):
    return {
        "owner": make_user(Role.AUDITOR),  # owns the model and is an auditor too
        "author": make_user(Role.AUDITOR),
        "reviewer": make_user(Role.AUDITOR),
        "conflicted": make_user(Role.AUDITOR),
        "student": make_user(Role.STUDENT),
        "steward": make_user(Role.STEWARD),
    }


@pytest.fixture
def model(people):
    return register(people["owner"])


def _open(api, user, model, kind="security"):
    return api(user).post("/api/v1/audits/", {"model": model.slug, "kind": kind, "title": "Adversarial inputs"}, format="json")


def test_an_audit_goes_from_draft_to_accepted_through_a_second_auditor(api, people, model):
    author = api(people["author"])
    audit_id = _open(api, people["author"], model).json()["id"]

    assert (
        author.post(
            f"/api/v1/audits/{audit_id}/findings/", {"severity": "high", "title": "FGSM flips 9 %"}, format="json"
        ).status_code
        == 201
    )
    assert (
        author.post(f"/api/v1/audits/{audit_id}/evidence/", {"link": "https://example.org/report"}, format="json").status_code
        == 201
    )
    submitted = author.post(f"/api/v1/audits/{audit_id}/submit/")
    decided = api(people["reviewer"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")

    assert submitted.json()["status"] == "submitted"
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
    assert decided.json()["decided_by"] == people["reviewer"].username
    actions = list(AuditLogEntry.objects.filter(object_type="governance.audit").order_by("id").values_list("action", flat=True))
    assert actions == ["audit.create", "audit.finding_add", "audit.evidence_add", "audit.submit", "audit.accept"]


def test_changes_requested_then_submitted_again(api, people, model):
    audit_id = _open(api, people["author"], model).json()["id"]
    author, reviewer = api(people["author"]), api(people["reviewer"])
    author.patch(f"/api/v1/audits/{audit_id}/", {"summary": "First pass"}, format="json")
    author.post(f"/api/v1/audits/{audit_id}/submit/")

    assert_error(reviewer.post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "changes"}, format="json"), 400)
    changes = reviewer.post(
        f"/api/v1/audits/{audit_id}/decide/", {"decision": "changes", "note": "Attach the run"}, format="json"
    )
    resubmitted = author.post(f"/api/v1/audits/{audit_id}/submit/")

    assert changes.json()["status"] == "changes_requested"
    assert resubmitted.json()["status"] == "submitted" and resubmitted.json()["submissions"] == 2


@pytest.mark.parametrize(
    ("decider", "reason"),
    [("author", "you wrote this audit"), ("owner", "you own the audited model"), ("conflicted", "conflict of interest")],
)
def test_four_eyes_refuses_author_owner_and_declared_conflict(api, people, model, decider, reason):
    api(people["conflicted"]).post(f"/api/v1/models/{model.slug}/conflicts/", {"reason": "I trained it"}, format="json")
    audit_id = _open(api, people["author"], model).json()["id"]
    api(people["author"]).patch(f"/api/v1/audits/{audit_id}/", {"summary": "Done"}, format="json")
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")

    response = api(people[decider]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")

    error = assert_error(response, 403, "four_eyes")
    assert reason in error["message"]
    assert Audit.objects.get(pk=audit_id).status == "submitted"
    assert AuditLogEntry.objects.filter(action="audit.decide.denied", actor=people[decider]).exists()


def test_only_submitted_audits_are_decided_and_only_auditors_decide(api, people, model):
    audit_id = _open(api, people["author"], model).json()["id"]

    assert_error(api(people["reviewer"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json"), 404)
    api(people["author"]).patch(f"/api/v1/audits/{audit_id}/", {"summary": "x"}, format="json")
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")
    assert_error(api(people["steward"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json"), 403)
    api(people["reviewer"]).post(
        f"/api/v1/audits/{audit_id}/decide/", {"decision": "reject", "note": "No evidence"}, format="json"
    )
    assert_error(api(people["reviewer"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json"), 409)


def test_drafts_are_private_and_foreign_audits_are_404_in_lists_too(api, people, model):
    audit_id = _open(api, people["author"], model).json()["id"]

    for name in ("reviewer", "owner", "student", "steward"):
        assert_error(api(people[name]).get(f"/api/v1/audits/{audit_id}/"), 404)
        assert api(people[name]).get("/api/v1/audits/").json()["results"] == []
    api(people["author"]).patch(f"/api/v1/audits/{audit_id}/", {"summary": "x"}, format="json")
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")
    assert api(people["reviewer"]).get(f"/api/v1/audits/{audit_id}/").status_code == 200
    assert api(people["owner"]).get(f"/api/v1/audits/{audit_id}/").status_code == 200
    assert_error(api(people["student"]).get(f"/api/v1/audits/{audit_id}/"), 404)
    assert api(people["student"]).get("/api/v1/audits/").json()["results"] == []


def test_only_the_author_edits_and_the_refusal_is_logged(api, people, model):
    audit_id = _open(api, people["author"], model).json()["id"]
    api(people["author"]).patch(f"/api/v1/audits/{audit_id}/", {"summary": "x"}, format="json")
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")

    response = api(people["reviewer"]).post(
        f"/api/v1/audits/{audit_id}/findings/", {"severity": "low", "title": "x"}, format="json"
    )

    assert_error(response, 403)
    assert AuditLogEntry.objects.filter(action="audit.finding_add.denied", actor=people["reviewer"]).exists()
    assert_error(
        api(people["author"]).post(f"/api/v1/audits/{audit_id}/findings/", {"severity": "low", "title": "x"}, format="json"), 409
    )


def test_students_cannot_open_audits_and_unknown_models_are_a_400(api, people, model):
    assert_error(_open(api, people["student"], model), 403)
    response = api(people["author"]).post("/api/v1/audits/", {"model": "nope", "kind": "bias", "title": "x"}, format="json")
    assert_error(response, 400)


def test_an_accepted_security_audit_with_a_critical_finding_suspends_certification(api, people, model):
    certification = certify(model.current_version)
    assert certification is not None
    audit_id = _open(api, people["author"], model).json()["id"]
    api(people["author"]).post(
        f"/api/v1/audits/{audit_id}/findings/", {"severity": "critical", "title": "Backdoor"}, format="json"
    )
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")

    api(people["reviewer"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": "accept"}, format="json")

    certification.refresh_from_db()
    assert certification.status == Certification.Status.SUSPENDED
    assert certification.suspended_by_audit_id == audit_id
    health = api(None).get(f"/api/v1/models/{model.slug}/health/").json()
    assert health["certified"] is False and health["suspended"] is True


def test_a_critical_bias_finding_or_a_rejected_security_audit_does_not_suspend(api, people, model):
    certification = certify(model.current_version)
    for kind, decision in (("bias", "accept"), ("security", "reject")):
        audit_id = _open(api, people["author"], model, kind=kind).json()["id"]
        api(people["author"]).post(f"/api/v1/audits/{audit_id}/findings/", {"severity": "critical", "title": "x"}, format="json")
        api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")
        api(people["reviewer"]).post(f"/api/v1/audits/{audit_id}/decide/", {"decision": decision, "note": "n"}, format="json")

    certification.refresh_from_db()
    assert certification.status == Certification.Status.ACTIVE


def test_the_audit_pages_show_the_four_eyes_reason_and_decide(client, people, model, api):
    audit_id = _open(api, people["author"], model).json()["id"]
    api(people["author"]).patch(
        f"/api/v1/audits/{audit_id}/", {"summary": "<img src=x onerror=alert(1)> **bold**"}, format="json"
    )
    api(people["author"]).post(f"/api/v1/audits/{audit_id}/submit/")

    client.force_login(people["author"])
    page = client.get(f"/audits/{audit_id}/").content.decode()
    refused = client.post(f"/audits/{audit_id}/decide/", {"decision": "accept"})
    client.force_login(people["reviewer"])
    accepted = client.post(f"/audits/{audit_id}/decide/", {"decision": "accept"})

    assert "data-four-eyes" in page and "onerror" not in page and "<strong>bold</strong>" in page
    assert refused.status_code == 403 and "you wrote this audit" in refused.content.decode()
    assert accepted.status_code == 302 and Audit.objects.get(pk=audit_id).status == "accepted"


def test_the_audit_list_query_count_does_not_grow_with_rows(client, people, model, django_assert_max_num_queries):
    from governance.services.audits import audit_create

    client.force_login(people["reviewer"])
    for index in range(3):
        audit_create(actor=people["author"], model=model, kind="bias", title=f"a{index}")
    # A few rows already (the finding counts of the listed audits are one query, which an empty page does without).
    audit_create(actor=people["reviewer"], model=model, kind="bias", title="mine")
    with django_assert_max_num_queries(20) as small:
        client.get("/audits/")
    for index in range(30):
        audit_create(actor=people["reviewer"], model=model, kind="bias", title=f"b{index}")
    with django_assert_max_num_queries(20) as large:
        client.get("/audits/")
    assert len(large.captured_queries) == len(small.captured_queries)


# The rows as governance/audits/_table.html and home.html drew them in a template loop, before the view drew them.
_TEMPLATE_AUDIT_ROWS = """{% load i18n %}{% for audit in audits %}<tr data-audit="{{ audit.pk }}"><td>{{ audit.pk }}</td><td><a href="{% url 'governance:audit' audit.pk %}">{{ audit.title }}</a></td><td>{{ audit.model.slug }} <small class="muted">{{ audit.version.version }}</small></td><td>{{ audit.get_kind_display }}</td><td><span class="badge {% if audit.status == 'accepted' %}ok{% elif audit.status == 'rejected' %}bad{% elif audit.status == 'submitted' or audit.status == 'changes_requested' %}warn{% endif %}">{{ audit.get_status_display }}</span></td><td>{{ audit.author.username }}</td><td class="num">{{ audit.finding_count }}{% if audit.critical_count %} <span class="badge bad">{{ audit.critical_count }} {% translate "critical" %}</span>{% endif %}</td><td>{{ audit.updated_at|date:"Y-m-d H:i" }}</td></tr>
{% endfor %}"""
_TEMPLATE_PENDING_ROWS = """{% load i18n %}{% for e in pending_values %}<tr><td><a href="{% url 'governance:model_health' e.version.model.slug %}">{{ e.version.model.slug }}</a></td><td>{{ e.get_dimension_display }}</td><td class="num">{{ e.value|floatformat:"-4" }} <small class="muted">{{ e.unit }}</small></td><td>{{ e.submitted_by.username }}</td>
<td><form method="post" action="{% url 'governance:evaluation_review' e.pk %}" class="inline">{% csrf_token %}<button class="primary small" name="decision" value="accept" type="submit">{% translate "Accept" %}</button> <button class="secondary small" name="decision" value="reject" type="submit">{% translate "Reject" %}</button></form></td></tr>
{% endfor %}"""


def test_the_audits_home_draws_the_rows_the_template_drew_escaped_with_counts_and_review_forms(client, people, model, make_user):
    import re

    from django.template import engines
    from django.test import RequestFactory

    from governance.selectors import audits as selectors
    from governance.selectors.health import pending_community_evaluations
    from governance.services.audits import audit_create, audit_decide, audit_submit, finding_add
    from governance.views.audits import _audit_rows, _pending_value_rows
    from tests.governance.factories import counted

    # Given audits in several states with findings, one critical, and a hostile title and author name,
    hostile = make_user(Role.AUDITOR, username="<b>eve</b>")
    submitted = audit_create(actor=hostile, model=model, kind="security", title="<script>alert(1)</script>")
    finding_add(actor=hostile, audit=submitted, severity="critical", title="RCE")
    finding_add(actor=hostile, audit=submitted, severity="low", title="typo")
    audit_submit(actor=hostile, audit=submitted)
    accepted = audit_create(actor=people["author"], model=model, kind="bias", title="Bias & fairness")
    finding_add(actor=people["author"], audit=accepted, severity="medium", title="skew")
    audit_submit(actor=people["author"], audit=accepted)
    audit_decide(actor=people["reviewer"], audit=accepted, decision="accept")
    audit_create(actor=people["reviewer"], model=model, kind="compliance", title="my draft")
    # and community values waiting for a second auditor, one from a hostile name and one whose submitter is gone.
    counted(model.current_version, "energy", "0.123456", status="pending", submitted_by=hostile)
    counted(model.current_version, "robustness", "97.5", status="pending", submitted_by=None)
    counted(model.current_version, "explainability", "80", status="pending", submitted_by=people["reviewer"])

    # When the reviewer opens the audits home,
    client.force_login(people["reviewer"])
    page = client.get("/audits/").content.decode()

    # then the lists show the escaped titles and names, the counts and the critical badge, and a review form per value
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>eve</b>" not in page and "&lt;b&gt;eve&lt;/b&gt;" in page
    assert f'<tr data-audit="{submitted.pk}">' in page and '<td class="num">2 <span class="badge bad">1 ' in page
    assert page.count('action="/audits/values/') == 2 and "my draft" in page
    forms = re.findall(r'class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">', page)
    assert len(forms) == 2
    # and each row is exactly what the template loop drew for the same audits and values.
    request = RequestFactory().get("/audits/")
    request.user = people["reviewer"]
    reviewer = people["reviewer"]
    for lists in (
        lambda counted: selectors.audit_review_queue(reviewer, counted=counted),
        lambda counted: selectors.audit_list_for_user(reviewer, mine=True, counted=counted),
        lambda counted: selectors.audit_list_for_user(reviewer, counted=counted).exclude(author_id=reviewer.pk),
    ):
        uncounted = list(lists(False))
        expected = engines["django"].from_string(_TEMPLATE_AUDIT_ROWS).render({"audits": lists(True)})
        assert uncounted and _audit_rows(uncounted, selectors.audit_finding_counts(a.pk for a in uncounted)) == expected
    pending = pending_community_evaluations().exclude(submitted_by_id=people["reviewer"].pk)
    expected = engines["django"].from_string(_TEMPLATE_PENDING_ROWS).render({"pending_values": pending}, request)
    drawn = _pending_value_rows(request, people["reviewer"])
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("token", drawn) == token.sub("token", expected) and "<td></td>" in drawn
    assert selectors.audit_finding_counts([submitted.pk, accepted.pk]) == {submitted.pk: (2, 1), accepted.pk: (1, 0)}
