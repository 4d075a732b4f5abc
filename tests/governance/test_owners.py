"""Model owners track their own eligibility (#24): My models (page and API), what to do next, owner-started verified
evaluations, notifications in the reader's language, README badge snippets and the certification feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditLogEntry, Notification, Role
from governance.models import Certification, CertificationReminder, Evaluation, EvaluationRun
from governance.services.audits import audit_create, audit_decide, audit_submit, finding_add
from governance.services.health import certification_refresh, evaluation_review, evaluations_start
from governance.services.owner_notices import certification_reminders_send
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from notebooks.models import Run
from tests.conftest import assert_error
from tests.governance.factories import certify, counted, new_version, register
from tests.governance.test_health_methodology_v2 import _stand_in
from tests.notebooks import builders

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def owner(make_user):
    return make_user(Role.CURATOR, email="owner@example.org")


@pytest.fixture
def model(owner):
    return register(owner, "digits")


def _page(client, user, path="/me/models/", language="en"):
    client.force_login(user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- My models: page and API -------------------------------------------------------------------------


def test_my_models_shows_values_thresholds_margins_expiry_and_links_the_evidence(client, api, owner, model):
    counted(model.current_version, "robustness", "1.2")
    counted(model.current_version, "explainability", "90")
    energy = counted(model.current_version, "energy", "0.01", evidence=b"codecarbon log")
    certification = certification_refresh(version=model.current_version)

    page = _page(client, owner)
    body = api(owner).get("/api/v1/me/models/").json()

    # The page: the value, the threshold, the margin, the days left and the evidence link
    assert 'id="model-digits"' in page and "digits" in page
    assert "&lt; 5" in page and "3.8" in page  # robustness 1.2 against < 5: margin 3.8
    assert f'href="/health/evidence/{energy.pk}/"' in page
    assert "180 days left" in page
    # The evidence link leads to the file
    assert client.get(f"/health/evidence/{energy.pk}/").status_code == 200
    # The public health page's history names the certification's state (it showed none before #24)
    assert "<td>active</td>" in client.get("/health/digits/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The API: the same content, one object with a list
    assert list(body) == ["models"] and [row["slug"] for row in body["models"]] == ["digits"]
    row = body["models"][0]
    assert row["state"] == "certified" and row["days_left"] == 180 and row["current_version"] == "1.0.0"
    robustness = next(d for d in row["dimensions"] if d["dimension"] == "robustness")
    assert robustness["value"] == "1.200000" and robustness["threshold"] == "< 5" and robustness["margin"] == "3.8"
    assert robustness["passes"] is True and robustness["evaluation"] == certification.robustness_id
    assert row["dimensions"][2]["evidence_url"] == f"/health/evidence/{energy.pk}/"
    assert row["versions"][0]["certification"]["status"] == "active"
    assert row["next_steps"][0]["code"] == "none"
    assert row["feed_url"] == "/models/digits/certifications.atom"


def test_an_owner_sees_only_their_own_models_and_another_persons_model_is_404(client, api, owner, model, make_user):
    other = make_user(Role.AUDITOR)
    theirs = register(other, "theirs")
    counted(theirs.current_version, "energy", "0.05", status=Evaluation.Status.PENDING, submitted_by=other)

    mine = api(owner).get("/api/v1/me/models/").json()["models"]
    page = _page(client, owner)

    assert [row["slug"] for row in mine] == ["digits"]
    assert "theirs" not in page
    assert_error(api(owner).get("/api/v1/me/models/theirs/"), 404)
    assert_error(api(owner).get("/api/v1/me/models/nope/"), 404)
    assert_error(api(None).get("/api/v1/me/models/"), 401)
    # the positive partner: the owner's own model by slug
    assert api(owner).get("/api/v1/me/models/digits/").json()["slug"] == "digits"
    # a person who owns nothing gets an empty list and a page that says so
    assert api(make_user(Role.STUDENT)).get("/api/v1/me/models/").json() == {"models": []}


def test_my_models_reads_in_a_fixed_number_of_queries(api, owner):
    for slug in ("a-one", "a-two"):
        certify(register(owner, slug).current_version)
    api(owner).get("/api/v1/me/models/")  # warm: the first request also loads what every request caches
    with CaptureQueriesContext(connection) as two:
        assert len(api(owner).get("/api/v1/me/models/").json()["models"]) == 2
    for slug in ("b-one", "b-two", "b-three"):
        certify(register(owner, slug).current_version)
    with CaptureQueriesContext(connection) as five:
        assert len(api(owner).get("/api/v1/me/models/").json()["models"]) == 5

    assert len(five.captured_queries) == len(two.captured_queries)


def test_my_models_pages_through_many_models_and_says_how_many(client, owner):
    from governance.views import owners as views

    views.PER_PAGE, original = 2, views.PER_PAGE
    try:
        for slug in ("m-a", "m-b", "m-c"):
            register(owner, slug)
        first = _page(client, owner)
        second = _page(client, owner, "/me/models/?page=2")
    finally:
        views.PER_PAGE = original

    assert "You own 3 models." in first and 'id="model-m-a"' in first and 'id="model-m-c"' not in first
    assert 'id="model-m-c"' in second and 'id="model-m-a"' not in second and "?page=2" in first


def test_projected_share_and_frozen_amounts_appear_in_major_units(client, api, owner, model, make_user):
    steward = make_user(Role.STEWARD)
    certify(model.current_version)
    quarter_open(actor=steward, label="2026Q3", pool_minor_units=1_000_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q3")
    quarter_freeze(actor=steward, label="2026Q3")
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=2_000_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")

    row = api(owner).get("/api/v1/me/models/").json()["models"][0]
    page = _page(client, owner)

    assert [(m["quarter"], m["amount_minor_units"], m["amount"]) for m in row["frozen"]] == [("2026Q3", 30_000, "¥300.00")]
    assert [(m["quarter"], m["amount"]) for m in row["projected"]] == [("2026Q4", "¥600.00")]
    assert "¥300.00" in page and "¥600.00" in page


# --- What to do next ---------------------------------------------------------------------------------


def _steps(api, owner):
    rows = api(owner).get("/api/v1/me/models/", HTTP_ACCEPT_LANGUAGE="en").json()["models"]
    return {step["code"]: step for step in rows[0]["next_steps"]}


def test_next_steps_name_the_missing_failing_and_pending_dimensions_with_their_action(api, owner, model, make_user):
    version = model.current_version
    counted(version, "robustness", "7.5")  # fails (< 5)
    counted(version, "energy", "0.05", status=Evaluation.Status.PENDING, submitted_by=make_user(Role.AUDITOR))

    steps = api(owner).get("/api/v1/me/models/", HTTP_ACCEPT_LANGUAGE="en").json()["models"][0]["next_steps"]

    by_dimension = {step["dimension"]: step for step in steps}
    assert by_dimension["robustness"]["code"] == "failing" and by_dimension["robustness"]["action"] == "publish"
    assert "7.5 does not pass < 5" in by_dimension["robustness"]["text"]
    assert by_dimension["robustness"]["url"] == "/models/digits/#new-version"
    assert by_dimension["explainability"]["code"] == "missing" and by_dimension["explainability"]["action"] == "evaluate"
    assert by_dimension["explainability"]["url"] == "/me/models/#model-digits"
    assert by_dimension["energy"]["code"] == "pending_review" and by_dimension["energy"]["action"] == "wait"


def test_next_steps_warn_before_expiry_and_after_a_suspension(api, owner, model, make_user):
    certify(model.current_version, at=timezone.now() - timedelta(days=160))
    expiring = _steps(api, owner)
    assert expiring["expiring"]["action"] == "evaluate" and "20 days" in expiring["expiring"]["text"]

    audit = _critical_audit(model, make_user)
    suspended = _steps(api, owner)
    assert list(suspended) == ["suspended"] and suspended["suspended"]["url"] == f"/audits/{audit.pk}/"


def test_a_translated_next_step_reads_in_chinese(api, owner, model):
    steps = api(owner).get("/api/v1/me/models/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["models"][0]["next_steps"]
    assert steps[0]["code"] == "missing" and "no counted value" not in steps[0]["text"]


# --- Verified evaluations started by the owner ---------------------------------------------------------


@pytest.fixture
def evaluation_catalogue(settings, tmp_path):
    from notebooks.services import catalogue_sync

    root = builders.write_catalogue(
        tmp_path / "catalogue",
        [_stand_in("e1-robustness-v2", "robustness", 2.3), _stand_in("e2-explainability-v2", "explainability", 91.8),
         _stand_in("e3-energy-v2", "energy", 6.3e-06)],
    )  # fmt: skip
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    assert not catalogue_sync(actor=None, root=root).invalid
    return root


def test_an_owner_starts_verified_evaluations_that_are_theirs_and_visible_to_auditors(
    client, api, owner, model, make_user, evaluation_catalogue
):
    client.force_login(owner)
    response = client.post(f"/health/{model.slug}/evaluations/start/", {"back": "my_models"})

    assert response.status_code == 302 and response["Location"] == "/me/models/#model-digits"
    runs = list(Run.objects.filter(pk__in=EvaluationRun.objects.values("run_id")))
    assert len(runs) == 3 and {run.owner_id for run in runs} == {owner.pk}
    assert AuditLogEntry.objects.filter(action="evaluation.start", actor=owner).exists()
    # auditors (and the owner) see the runs; a student does not
    assert api(make_user(Role.AUDITOR)).get(f"/api/v1/runs/{runs[0].pk}/").status_code == 200
    assert api(owner).get(f"/api/v1/runs/{runs[0].pk}/").status_code == 200
    assert_error(api(make_user(Role.STUDENT)).get(f"/api/v1/runs/{runs[0].pk}/"), 404)
    # the health page says who started them; My models says they are running
    assert owner.username in client.get(f"/health/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "running" in _steps(api, owner)


def test_an_owners_evaluations_count_in_their_quota_and_others_are_refused(
    api, owner, model, make_user, evaluation_catalogue, settings
):
    settings.NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER = 2
    with pytest.raises(Exception, match="runs queued or running"):
        evaluations_start(actor=owner, version=model.current_version)
    assert not Run.objects.exists()

    stranger = make_user(Role.AUDITOR)
    assert_error(api(stranger).post(f"/api/v1/models/{model.slug}/evaluation-runs/"), 403)
    assert AuditLogEntry.objects.filter(action="evaluation.start.denied", actor=stranger).exists()


@pytest.mark.notebooks
@pytest.mark.django_db(transaction=True)
def test_an_owner_without_any_role_evaluates_their_model_and_the_values_certify_it(client, make_user, evaluation_catalogue):
    # Given a model whose co-owner holds no role in the community
    model = register(make_user(Role.CURATOR), "owned-only")
    co_owner = make_user(email="co@example.org", language="en")
    model.owners.add(co_owner)
    client.force_login(co_owner)

    # When they start the verified evaluation from My models (eager: the runs execute after commit)
    response = client.post(f"/health/{model.slug}/evaluations/start/", {"back": "my_models"})

    # Then the three runs are theirs, their values are verified and counted, and the model is certified
    assert response.status_code == 302
    runs = Run.objects.filter(pk__in=EvaluationRun.objects.filter(version__model=model).values("run_id"))
    assert sorted(runs.values_list("status", flat=True)) == ["succeeded"] * 3 and {r.owner_id for r in runs} == {co_owner.pk}
    values = Evaluation.objects.filter(version=model.current_version, provenance=Evaluation.Provenance.VERIFIED)
    assert sorted(values.values_list("dimension", flat=True)) == ["energy", "explainability", "robustness"]
    assert Certification.objects.filter(model=model, status=Certification.Status.ACTIVE).exists()
    granted = Notification.objects.get(user=co_owner, kind="certification.granted")
    assert granted.url == "/health/owned-only/"
    page = client.get("/me/models/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing to do: certified until" in page and "2.3" in page and "91.8" in page


# --- Notifications ---------------------------------------------------------------------------------


def _critical_audit(model, make_user):
    author, reviewer = make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    audit = audit_create(actor=author, model=model, kind="security", title="Backdoor", summary="Found one")
    finding_add(actor=author, audit=audit, severity="critical", title="Backdoor", text="A trigger flips every label")
    audit_submit(actor=author, audit=audit)
    return audit_decide(actor=reviewer, audit=audit, decision="accept")


def test_owners_hear_of_a_grant_by_mail_in_their_own_language(owner, model, make_user, django_capture_on_commit_callbacks):
    second = make_user(Role.STUDENT, email="second@example.org", language="zh-hans")
    owner.language = "en"
    owner.save(update_fields=["language"])
    model.owners.add(second)

    with django_capture_on_commit_callbacks(execute=True):
        certify(model.current_version)

    by_reader = {message.to[0]: message for message in mail.outbox}
    english, chinese = by_reader["owner@example.org"], by_reader["second@example.org"]
    assert "digits 1.0.0 is certified until" in english.body and "/health/digits/" in english.body
    assert "certified until" not in chinese.body and "digits 1.0.0" in chinese.body and "/health/digits/" in chinese.body
    assert Notification.objects.filter(user=owner, kind="certification.granted", url="/health/digits/").exists()


def test_expiry_reminders_come_once_per_threshold(owner, model):
    certification = certify(model.current_version, at=timezone.now() - timedelta(days=155))  # 25 days left

    assert certification_reminders_send() == 1
    assert certification_reminders_send() == 0  # the job runs again: nobody hears twice
    Certification.objects.filter(pk=certification.pk).update(expires_at=timezone.now() + timedelta(days=6))
    assert certification_reminders_send() == 1
    Certification.objects.filter(pk=certification.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert certification_reminders_send() == 1
    assert certification_reminders_send() == 0

    kinds = list(Notification.objects.filter(user=owner, kind__startswith="certification.").values_list("kind", flat=True))
    assert sorted(kinds) == sorted(
        ["certification.granted", "certification.expiring_30", "certification.expiring_7", "certification.expired"]
    )
    assert set(CertificationReminder.objects.values_list("threshold", flat=True)) == {"expiring_30", "expiring_7", "expired"}
    assert AuditLogEntry.objects.filter(action="certification.remind").count() == 3
    expiring = Notification.objects.get(user=owner, kind="certification.expiring_30")
    assert expiring.url == "/me/models/#model-digits" and expiring.params["days"] == "30"


def test_the_reminder_job_is_scheduled():
    from portal.celery import app

    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "governance.certification_reminders" in schedule


def test_owners_hear_of_a_suspension_a_reset_a_rejected_value_and_a_frozen_quarter(owner, model, make_user):
    certify(model.current_version)
    audit = _critical_audit(model, make_user)
    suspended = Notification.objects.get(user=owner, kind="certification.suspended")
    assert suspended.url == f"/audits/{audit.pk}/" and suspended.params["audit"] == str(audit.pk)

    fresh = register(owner, "fresh")
    certify(fresh.current_version)
    new_version(owner, fresh, "2.0.0")
    fresh.refresh_from_db()
    reset = Notification.objects.get(user=owner, kind="certification.reset")
    assert reset.params["version"] == "2.0.0" and reset.url == "/me/models/#model-fresh"

    submitter, reviewer = make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    value = counted(fresh.current_version, "energy", "0.3", status=Evaluation.Status.PENDING, submitted_by=submitter)
    evaluation_review(actor=reviewer, evaluation=value, accept=False)
    rejected = Notification.objects.get(user=owner, kind="evaluation.rejected")
    assert rejected.url == "/health/fresh/" and rejected.params["dimension"] == "energy efficiency"

    steward = make_user(Role.STEWARD)
    paid = register(owner, "paid")
    certify(paid.current_version)
    quarter_open(actor=steward, label="2026Q2", pool_minor_units=1_000_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q2")
    quarter_freeze(actor=steward, label="2026Q2")
    frozen = Notification.objects.get(user=owner, kind="quarter.frozen")
    assert frozen.params == {"model": "paid", "quarter": "2026Q2", "amount": "¥300.00"}  # 3 % of ¥10,000.00
    assert frozen.url == "/me/models/#model-paid"

    # every one reads in the reader's language on the inbox page
    from django.utils import translation

    with translation.override("en"):
        assert rejected.text.startswith("A community energy efficiency value of fresh 2.0.0 was rejected")
        assert "2026Q2 is frozen: paid receives ¥300.00" in frozen.text
    with translation.override("zh-hans"):
        assert "rejected" not in rejected.text and "¥300.00" in frozen.text


def test_the_language_switch_remembers_a_signed_in_persons_choice(client, owner):
    client.force_login(owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "zh-hans"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "zh-hans"


# --- Badge and feed ------------------------------------------------------------------------------------


def test_the_model_page_offers_badge_snippets_linking_to_the_health_page(client, model):
    page = client.get(f"/models/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (
        "[![Go3s health of digits](http://testserver/badges/models/digits.svg?lang=en)](http://testserver/health/digits/)" in page
    )
    assert "&lt;a href=&quot;http://testserver/health/digits/&quot;&gt;&lt;img src=&quot;" in page  # shown, not rendered
    assert client.get("/badges/models/digits.svg?lang=en").status_code == 200
    assert client.get("/health/digits/").status_code == 200


def test_the_badge_reads_in_the_requested_language(client, model):
    certify(model.current_version)
    english = client.get(f"/badges/models/{model.slug}.svg?lang=en").content.decode()
    chinese = client.get(f"/badges/models/{model.slug}.svg?lang=zh-hans").content.decode()
    by_header = client.get(f"/badges/models/{model.slug}.svg", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    bad = client.get(f"/badges/models/{model.slug}.svg?lang=<script>", HTTP_ACCEPT_LANGUAGE="en")

    assert ">certified<" in english and ">go3s health<" in english
    assert ">certified<" not in chinese and 'xml:lang="zh-hans"' in chinese and by_header == chinese
    assert bad.status_code == 200 and "<script>" not in bad.content.decode() and ">certified<" in bad.content.decode()


def test_the_certification_feed_is_atom_with_each_event(client, owner, model, make_user):
    certify(model.current_version)
    _critical_audit(model, make_user)

    response = client.get(f"/models/{model.slug}/certifications.atom", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 — the portal's own response, not untrusted input
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles[0] == "digits 1.0.0: certification suspended" and titles[1].startswith("digits 1.0.0 certified until")
    assert entries[0].find(f"{ATOM}link").get("href") == "http://testserver/health/digits/#certification-history"
    assert "audit #" in entries[0].findtext(f"{ATOM}summary")
    assert client.get("/models/nope/certifications.atom").status_code == 404


def test_the_certification_in_force_is_the_current_versions_unexpired_one_and_a_suspension_names_the_first_audit(
    api, owner, model, make_user
):
    # given: one model whose certification has expired, one certified now, and one certified now but suspended twice
    expired = certify(model.current_version)
    Certification.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    fresh = register(owner, "fresh")
    certify(fresh.current_version)
    suspended = register(owner, "suspended")
    certify(suspended.current_version)
    first, second = _critical_audit(suspended, make_user), _critical_audit(suspended, make_user)

    rows = {row["slug"]: row for row in api(owner).get("/api/v1/me/models/", HTTP_ACCEPT_LANGUAGE="en").json()["models"]}

    # then: the expired certification is not in force, though it is still the version's active one
    assert rows["digits"]["state"] == "not_certified" and rows["digits"]["certified_until"] is None
    assert rows["digits"]["versions"][0]["certification"]["status"] == "expired"
    assert [step["code"] for step in rows["digits"]["next_steps"]] == ["expired"]
    assert rows["fresh"]["state"] == "certified" and rows["fresh"]["days_left"] == 180
    assert rows["suspended"]["state"] == "suspended" and rows["suspended"]["suspended_by_audit"] == first.pk != second.pk
