"""The steward dashboard keeps what it reads from every certified model (how many, which joined or left since the
last frozen quarter, how many each state filter lists) under a fingerprint of the certifications: a grant, a
suspension, a new version, an expiry or a model coming within 30 days of its expiry shows on the very next
request, and a request after no change reads none of it again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from governance.methodology import CERTIFICATION_DAYS
from governance.services.audits import audit_create, audit_decide, audit_submit, finding_add
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.governance.factories import certify, new_version, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def steward(make_user):
    return make_user(Role.STEWARD)


def _links(html: str, heading: str) -> list[str]:
    line = next(line for line in html.splitlines() if f"<strong>{heading}</strong>" in line)
    return [part.split('"', 1)[0].strip("/").split("/")[-1] for part in line.split('href="')[1:]]


def _rows(html: str) -> list[str]:
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    return [part.split('"', 1)[0].strip("/").split("/")[-1] for part in table.split('href="')[1:]]


def _dashboard(client) -> dict:
    """What the dashboard says, unfiltered and under each state filter."""
    html = client.get("/sponsorship/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    count = re.search(r"data-certified-count>(\d+)</p>", html)
    assert count is not None
    seen = {
        "count": int(count[1]),
        "joined": _links(html, "Newly eligible"),
        "left": _links(html, "No longer eligible"),
    }
    for state in ("certified", "expiring", "suspended", "not_certified"):
        response = client.get(f"/sponsorship/?state={state}", HTTP_ACCEPT_LANGUAGE="en")
        seen[state] = (response.context["page"].paginator.count, _rows(response.content.decode()))
    return seen


def _suspend(model, make_user):
    author, reviewer = make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    audit = audit_create(actor=author, model=model, kind="security", title="Backdoor", summary="Found one")
    finding_add(actor=author, audit=audit, severity="critical", title="Backdoor", text="A trigger flips every label")
    audit_submit(actor=author, audit=audit)
    audit_decide(actor=reviewer, audit=audit, decision="accept")


def test_a_grant_a_suspension_a_new_version_the_30_day_window_and_an_expiry_show_on_the_very_next_request(
    client, make_user, steward, monkeypatch
):
    owner = make_user(Role.CURATOR)
    now = timezone.now()
    models = {slug: register(owner, slug) for slug in ("goes", "later", "newcomer", "soon", "stays")}
    for slug in ("goes", "stays"):
        certify(models[slug].current_version)
    # soon expires in three hours; later comes within 30 days of its expiry in an hour
    certify(models["soon"].current_version, at=now - timedelta(days=CERTIFICATION_DAYS, hours=-3))
    certify(models["later"].current_version, at=now - timedelta(days=CERTIFICATION_DAYS - 30, hours=-1))
    quarter_open(actor=steward, label="2026Q3", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q3")
    quarter_freeze(actor=steward, label="2026Q3")
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    client.force_login(steward)

    before = _dashboard(client)
    assert before == _dashboard(client)  # read again from what was kept
    assert before["count"] == 4 and before["joined"] == [] and before["left"] == []
    assert before["certified"] == (4, ["goes", "later", "soon", "stays"])
    assert before["expiring"] == (1, ["soon"])
    assert before["not_certified"] == (1, ["newcomer"])

    # When a model is certified
    certify(models["newcomer"].current_version)
    granted = _dashboard(client)
    assert granted["count"] == 5 and granted["joined"] == ["newcomer"]
    assert granted["certified"] == (5, ["goes", "later", "newcomer", "soon", "stays"])
    assert granted["not_certified"] == (0, [])

    # When a certified model is suspended
    _suspend(models["goes"], make_user)
    suspended = _dashboard(client)
    assert suspended["count"] == 4 and suspended["left"] == ["goes"]
    assert suspended["certified"] == (4, ["later", "newcomer", "soon", "stays"])
    assert suspended["suspended"] == (1, ["goes"]) and suspended["not_certified"] == (1, ["goes"])

    # When a certified model gets a new version (health never carries over)
    new_version(owner, models["stays"], "2.0.0")
    replaced = _dashboard(client)
    assert replaced["count"] == 3 and replaced["left"] == ["goes", "stays"]
    assert replaced["certified"] == (3, ["later", "newcomer", "soon"])
    assert replaced["not_certified"] == (2, ["goes", "stays"])

    # When two hours pass, later comes within 30 days of its expiry
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(hours=2))
    window = _dashboard(client)
    assert window["expiring"] == (2, ["later", "soon"]) and window["count"] == 3

    # When four hours have passed, soon has expired
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(hours=4))
    expired = _dashboard(client)
    assert expired["count"] == 2 and expired["left"] == ["goes", "soon", "stays"]
    assert expired["certified"] == (2, ["later", "newcomer"])
    assert expired["expiring"] == (1, ["later"])
    assert expired["not_certified"] == (3, ["goes", "soon", "stays"])


def _reads_every_certified_model(queries) -> bool:
    """The queries that join all certifications with their models: the slugs of every certified model, and the
    count of the certified filter."""
    return any(
        'SELECT "governance_communitymodel"."slug" AS "model__slug"' in q["sql"]
        or ('SELECT COUNT(*) AS "__count" FROM "governance_communitymodel" WHERE' in q["sql"] and "EXISTS" in q["sql"])
        for q in queries
    )


def test_a_request_after_no_change_reads_no_certified_model_again_and_the_count_does_not_grow(client, make_user, steward):
    owner = make_user(Role.CURATOR)
    for index in range(3):
        certify(register(owner, f"m{index:03d}").current_version)
    client.force_login(steward)
    url = "/sponsorship/?state=certified"

    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        html = client.get(url).content.decode()

    assert _reads_every_certified_model(cold.captured_queries)
    assert not _reads_every_certified_model(warm.captured_queries)
    assert len(warm.captured_queries) < len(cold.captured_queries)
    assert "data-certified-count>3</p>" in html and _rows(html) == ["m000", "m001", "m002"]

    # When 20 more models are certified, the next request reads them once, with no more queries than the first
    for index in range(3, 23):
        certify(register(owner, f"m{index:03d}").current_version)
    with CaptureQueriesContext(connection) as changed:
        client.get(url)
    with CaptureQueriesContext(connection) as warm_again:
        html = client.get(url).content.decode()

    assert _reads_every_certified_model(changed.captured_queries)
    assert len(changed.captured_queries) <= len(cold.captured_queries)  # the charts were kept from the first
    assert len(warm_again.captured_queries) == len(warm.captured_queries)
    assert "data-certified-count>23</p>" in html and len(_rows(html)) == 23
