"""Health and certification (methodology v1): thresholds at their boundaries, 180-day expiry, new versions,
community values counted only after a second auditor, verified values from portal runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditLogEntry, Role
from governance.methodology import THRESHOLDS, VERSION
from governance.models import Certification, Evaluation, EvaluationRun
from governance.selectors.health import certified_now
from governance.services.health import certification_refresh, evaluation_review, evaluation_run_finished
from notebooks.models import Notebook, Run
from tests.conftest import assert_error
from tests.governance.factories import certify, counted, new_version, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def owner(make_user):
    return make_user(Role.CURATOR)


@pytest.fixture
def model(owner):
    return register(owner)


@pytest.mark.parametrize(
    ("dimension", "value", "passes"),
    [
        ("robustness", "4.999999", True), ("robustness", "5.0", False), ("robustness", "5.000001", False),
        ("explainability", "81.999999", False), ("explainability", "82.0", True), ("explainability", "100", True),
        ("energy", "0.18", True), ("energy", "0.180001", False), ("energy", "0.179999", True),
    ],
)  # fmt: skip
def test_threshold_boundaries(dimension, value, passes):
    assert THRESHOLDS[dimension].passes(Decimal(value)) is passes


@pytest.mark.parametrize(
    ("values", "certified"),
    [
        ({"robustness": "4.99", "explainability": "82.0", "energy": "0.18"}, True),
        ({"robustness": "5.0", "explainability": "90", "energy": "0.01"}, False),
        ({"robustness": "1", "explainability": "81.99", "energy": "0.01"}, False),
        ({"robustness": "1", "explainability": "90", "energy": "0.181"}, False),
    ],
)
def test_certified_only_when_all_three_counted_values_pass(model, values, certified):
    certification = certify(model.current_version, **values)

    assert (certification is not None) is certified
    assert certified_now().filter(model=model).exists() is certified


def test_a_missing_dimension_means_not_certified(model):
    counted(model.current_version, "robustness", 1)
    counted(model.current_version, "explainability", 90)

    assert certification_refresh(version=model.current_version) is None


def test_certification_names_its_values_and_lasts_180_days_from_the_newest(model):
    newest = timezone.now() - timedelta(days=10)
    version = model.current_version
    values = [
        counted(version, "robustness", 1, measured_at=newest - timedelta(days=40)),
        counted(version, "explainability", 90, measured_at=newest),
        counted(version, "energy", 0.01, measured_at=newest - timedelta(days=5)),
    ]

    certification = certification_refresh(version=version)

    assert certification.evaluation_ids == sorted(v.pk for v in values)
    assert certification.expires_at == newest + timedelta(days=180)
    assert certification.methodology_version == VERSION  # the methodology its values were measured under


def test_expiry_at_day_180(model):
    measured = timezone.now() - timedelta(days=100)
    certification = certify(model.current_version, at=measured)

    assert certified_now(at=measured + timedelta(days=179, hours=23)).filter(pk=certification.pk).exists()
    assert not certified_now(at=measured + timedelta(days=180)).filter(pk=certification.pk).exists()


def test_values_older_than_180_days_certify_nothing(model):
    assert certify(model.current_version, at=timezone.now() - timedelta(days=181)) is None


def test_a_new_version_ends_certification_at_once_and_starts_empty(model, owner, api):
    certification = certify(model.current_version)

    version = new_version(owner, model, "2.0.0")

    certification.refresh_from_db()
    assert certification.status == Certification.Status.ENDED and "new version" in certification.end_reason
    assert not certified_now().filter(model=model).exists()
    health = api(None).get(f"/api/v1/models/{model.slug}/health/").json()
    assert health["version"] == "2.0.0" and health["certified"] is False
    assert [d["value"] for d in health["dimensions"]] == [None, None, None]
    assert certify(version) is not None  # the new version earns its own


def test_a_newer_failing_value_supersedes_the_certification(model):
    certification = certify(model.current_version)

    counted(model.current_version, "robustness", "7.5")
    certification_refresh(version=model.current_version)

    certification.refresh_from_db()
    assert certification.status == Certification.Status.SUPERSEDED
    assert "robustness" in certification.end_reason


def test_a_community_value_counts_only_after_a_second_auditor_accepts_it(api, make_user, model):
    first, second = make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    counted(model.current_version, "robustness", 1)
    counted(model.current_version, "explainability", 90)

    submitted = api(first).post(
        f"/api/v1/models/{model.slug}/evaluations/",
        {
            "dimension": "energy",
            "value": "0.05",
            "evidence_note": "codecarbon on a Graviton3",
            "backend": "RAPL",
            "region": "USA",
        },
        format="json",
    )
    pk = submitted.json()["id"]
    assert submitted.status_code == 201 and submitted.json()["status"] == "pending"
    assert not api(None).get(f"/api/v1/models/{model.slug}/health/").json()["certified"]
    assert_error(api(first).post(f"/api/v1/evaluations/{pk}/review/", {"decision": "accept"}, format="json"), 403)
    assert AuditLogEntry.objects.filter(action="evaluation.accept.denied", actor=first).exists()

    accepted = api(second).post(f"/api/v1/evaluations/{pk}/review/", {"decision": "accept"}, format="json")

    assert accepted.json()["status"] == "counted"
    assert api(None).get(f"/api/v1/models/{model.slug}/health/").json()["certified"] is True
    assert_error(api(second).post(f"/api/v1/evaluations/{pk}/review/", {"decision": "accept"}, format="json"), 409)


def test_community_values_need_an_auditor_evidence_and_energy_context(api, make_user, model):
    auditor = make_user(Role.AUDITOR)
    url = f"/api/v1/models/{model.slug}/evaluations/"

    assert_error(
        api(make_user(Role.STEWARD)).post(url, {"dimension": "energy", "value": "1", "evidence_note": "x"}, format="json"), 403
    )
    assert_error(api(auditor).post(url, {"dimension": "robustness", "value": "1"}, format="json"), 400)
    assert_error(api(auditor).post(url, {"dimension": "energy", "value": "1", "evidence_note": "x"}, format="json"), 400)
    assert_error(api(auditor).post(url, {"dimension": "robustness", "value": "101", "evidence_note": "x"}, format="json"), 400)
    assert_error(api(auditor).post(url, {"dimension": "speed", "value": "1", "evidence_note": "x"}, format="json"), 400)
    assert Evaluation.objects.count() == 0


def _evaluation_run(model, steward, dimension, metrics, status=Run.Status.SUCCEEDED):
    notebook = Notebook.objects.get(slug="short")
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=steward, parameters={}, timeout_seconds=60, memory_limit_mb=512, status=status,
        metrics=metrics, finished_at=timezone.now(),
    )  # fmt: skip
    EvaluationRun.objects.create(version=model.current_version, dimension=dimension, run=run, requested_by=steward)
    return run


def _metrics(model, dimension, value, **changes):
    units = {"robustness": "percent", "explainability": "percent", "energy": "g_co2e_per_1k_inferences"}
    return {
        "dimension": dimension, "value": value, "unit": units[dimension], "methodology_version": "v1", "conformant": True,
        "model_sha256": model.current_version.onnx_sha256, "backend": "estimate", "estimated": True, "region": "USA",
        "carbon_intensity_g_per_kwh": 367.5, **changes,
    }  # fmt: skip


def test_finished_evaluation_runs_become_verified_values_and_certify(model, make_user, catalogue):
    steward = make_user(Role.STEWARD)
    runs = [
        _evaluation_run(model, steward, "robustness", _metrics(model, "robustness", 0.75)),
        _evaluation_run(model, steward, "explainability", _metrics(model, "explainability", 91.5)),
        _evaluation_run(model, steward, "energy", _metrics(model, "energy", 0.0123)),
    ]

    for run in runs:
        evaluation_run_finished(run.pk)
        evaluation_run_finished(run.pk)  # a second call changes nothing

    values = Evaluation.objects.filter(provenance=Evaluation.Provenance.VERIFIED)
    assert values.count() == 3 and all(v.counted for v in values)
    energy = values.get(dimension="energy")
    assert energy.estimated and energy.backend == "estimate" and energy.carbon_intensity_g_per_kwh == Decimal("367.500")
    assert certified_now().filter(model=model).exists()


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"conformant": False}, Run.Status.SUCCEEDED, "not conformant"),
        ({"model_sha256": "0" * 64}, Run.Status.SUCCEEDED, "another model file"),
        ({"methodology_version": "v0"}, Run.Status.SUCCEEDED, "methodology"),
        ({}, Run.Status.FAILED, "ended failed"),
    ],
)
def test_runs_that_do_not_follow_the_methodology_are_not_counted(model, make_user, catalogue, changes, status, reason):
    run = _evaluation_run(model, make_user(Role.STEWARD), "robustness", _metrics(model, "robustness", 1.0, **changes), status)

    evaluation_run_finished(run.pk)

    assert Evaluation.objects.count() == 0
    assert reason in EvaluationRun.objects.get(run=run).outcome


def test_the_badge_is_public_svg_and_says_the_state(client, model):
    before = client.get(f"/badges/models/{model.slug}.svg", HTTP_ACCEPT_LANGUAGE="en")
    certify(model.current_version)
    after = client.get(f"/badges/models/{model.slug}.svg", HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.get("/badges/models/nope.svg", HTTP_ACCEPT_LANGUAGE="en")

    assert before["Content-Type"].startswith("image/svg+xml") and b"not certified" in before.content
    assert b">certified<" in after.content
    assert unknown.status_code == 404 and b"unknown model" in unknown.content
    assert "script" not in after.content.decode().lower()


def test_health_pages_label_estimates_and_link_the_methodology(client, model):
    counted(model.current_version, "robustness", 1)
    counted(model.current_version, "explainability", 90)
    counted(model.current_version, "energy", 0.02, estimated=True)
    certification_refresh(version=model.current_version)

    page = client.get(f"/health/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    listing = client.get("/health/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "estimated" in page and f"/health/methodology/{VERSION}/" in page
    assert "estimated" in listing and "certified" in listing


# The cells the health list and the steward dashboard drew with an include per row, before they were drawn in Python.
HEALTH_CELLS_TEMPLATE = (
    '{% load i18n %}{% for cell in row.cells %}<td class="num" data-dimension="{{ cell.dimension }}">{% if cell.value is None %}'
    '<span class="muted">—</span>{% else %}<span class="badge {% if cell.passes %}ok{% else %}bad{% endif %}">'
    '{% if cell.dimension == "energy" %}{{ cell.value|floatformat:"-6" }}{% else %}{{ cell.value|floatformat:"-3" }}{% endif %}'
    '</span>{% if cell.estimated %} <small class="muted">{% translate "estimated" %}</small>{% endif %}{% endif %}</td>{% endfor %}\n'
    '<td data-state="{{ row.state }}">{% if row.state == "certified" %}<span class="badge ok">{% translate "certified" %}</span>'
    '{% elif row.state == "expiring" %}<span class="badge warn">{% translate "expires soon" %}</span>'
    '{% elif row.state == "suspended" %}<span class="badge bad">{% translate "suspended" %}</span>'
    '{% else %}<span class="muted">{% translate "not certified" %}</span>{% endif %}'
    '{% if row.certified_until and row.state != "suspended" %}<br><small class="muted">{% translate "until" %} '
    '{{ row.certified_until|date:"Y-m-d" }}</small>{% endif %}</td>\n'
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_health_cells_read_as_the_template_drew_them(language):
    from types import SimpleNamespace

    from django.template import engines
    from django.utils import translation

    from governance.views.health import health_rows

    now = timezone.now()
    late_evening = now.replace(hour=23, minute=30) + timedelta(days=100)  # another day in Shanghai than in UTC
    models = [
        SimpleNamespace(
            robustness_value=robustness,
            explainability_value=explainability,
            energy_value=energy,
            energy_estimated=estimated,
            suspended=suspended,
            certified_until=until,
        )
        for robustness, explainability, energy, estimated, suspended, until in [
            (None, None, None, None, False, None),  # nothing measured
            (Decimal("1.2"), Decimal("90"), Decimal("0.0123456789"), True, False, late_evening),  # certified, estimated
            (Decimal("0.5"), Decimal("12.3456"), Decimal("5"), False, False, now + timedelta(days=3)),  # expiring
            (Decimal("1.25"), Decimal("80.5"), Decimal("0.02"), False, True, now + timedelta(days=90)),  # suspended
            (Decimal("-0.0004"), None, Decimal("1000000.5"), False, False, None),  # not certified
        ]
    ]
    template = engines["django"].from_string(HEALTH_CELLS_TEMPLATE)

    with translation.override(language):
        rows = health_rows(models)
        expected = [template.render({"row": row}) for row in rows]

    assert [row["state"] for row in rows] == ["not_certified", "certified", "expiring", "suspended", "not_certified"]
    assert [str(row["cells_html"]) for row in rows] == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_health_values_read_as_floatformat_wrote_them(language, settings):
    """The cells write the database's Decimals themselves; every kind of value reads as `floatformat` wrote it:
    integral ones, ties rounded half up, negatives rounding to zero, large ones, 6 and 3 decimals."""
    import random

    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from governance.views.health import _CellWords, _decimal_text

    chosen = random.Random(20)
    values = [
        Decimal(text)
        for text in (
            "0", "-0", "0.000000", "-0.000000", "5", "-5", "82", "82.000000", "1000000", "12345678.000000",
            "0.0005", "-0.0005", "0.0004999", "1.2345", "1.2355", "-1.2345", "0.0000005", "-0.0000005",
            "0.0000004", "99999999.9999995", "0.18", "0.180000", "4.999999", "0.1", "-0.0004",
        )
    ]  # fmt: skip
    values += [Decimal(chosen.randrange(-(10**13), 10**13)).scaleb(-6) for _ in range(2000)]
    values += [Decimal(chosen.randrange(-(10**6), 10**6)).scaleb(-chosen.randrange(0, 7)) for _ in range(2000)]

    with translation.override(language):
        separator = _CellWords().separator
        written = [(_decimal_text(v, places, separator), str(floatformat(v, -places))) for v in values for places in (3, 6)]
        settings.USE_THOUSAND_SEPARATOR = True  # then floatformat groups thousands, and draws every value itself
        grouped = _CellWords().separator

    assert separator == "." and grouped is None
    assert [ours for ours, _ in written] == [theirs for _, theirs in written]


def test_the_health_page_shows_runs_reviewers_and_values_in_the_same_queries_however_many(client, model, make_user, catalogue):
    # given: a verified value from a run, a community value with its submitter and reviewer, and one waiting
    steward, auditor, reviewer = make_user(Role.STEWARD), make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    version = model.current_version

    def add_values(value):
        run = _evaluation_run(model, steward, "robustness", _metrics(model, "robustness", value))
        evaluation_run_finished(run.pk)
        community = counted(version, "energy", value / 100, submitted_by=auditor, status=Evaluation.Status.PENDING)
        evaluation_review(actor=reviewer, evaluation=community, accept=True)
        return run

    def page():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/health/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        return html, len(queries)

    first = add_values(0.75)
    counted(version, "explainability", "70.5", status=Evaluation.Status.PENDING)
    html, queries = page()

    # then: the page names the run, its state and who started it, who submitted and reviewed, and the waiting value
    assert f'href="/runs/{first.pk}/">run {first.pk}</a> · Succeeded · <small class="muted">started by {steward.username}' in html
    assert f"reviewed by {reviewer.username}" in html and f'<small class="muted">{auditor.username}</small>' in html
    assert "community-reported, unverified: 70.5" in html

    # when: more values and runs come, the page reads them in as many queries
    for value in (0.5, 1.25, 2.0):
        add_values(value)
    html, more_queries = page()
    assert more_queries == queries
    assert html.count("· Succeeded ·") == 4 and html.count(f'<small class="muted">{reviewer.username}</small>') == 4
