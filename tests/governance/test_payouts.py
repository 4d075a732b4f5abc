"""Payout exports payers accept (issue #15 item 6): GitHub Sponsors bulk CSV in whole US dollars at the sealed rate,
an Open Collective-style expense CSV, and every model without a payout identity listed as blocked with the reason."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import Role
from governance.selectors import quarter_evidence
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.conftest import assert_error
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _rows(response):
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def frozen(make_user, monkeypatch):
    """Three certified models; two owners linked a GitHub account (one of them a login that looks like a formula)."""
    steward = make_user(Role.STEWARD)
    owner = make_user(Role.CURATOR)
    models = [register(owner, slug) for slug in ("alpha", "beta", "gamma")]
    for model in models:
        certify(model.current_version)
    logins = {models[0].pk: "alice-gh", models[1].pk: "=cmd"}
    monkeypatch.setattr(quarter_evidence, "payout_identities", lambda ids: {i: logins[i] for i in ids if i in logins})
    quarter_open(
        actor=steward, label="2026Q4", pool_minor_units=100_000_00, currency="CNY", weight_percent=30, usd_exchange_rate="0.14"
    )
    quarter_compute(actor=steward, label="2026Q4")
    return quarter_freeze(actor=steward, label="2026Q4")


def test_github_sponsors_csv_has_its_two_columns_in_whole_dollars_at_the_sealed_rate(api, frozen):
    rows = _rows(api(None).get("/api/v1/sponsorship/quarters/2026Q4/payouts/github-sponsors.csv"))

    # 30 % of 100,000.00 CNY = 30,000.00 CNY each; × 0.14 = 4,200 USD.
    assert frozen.manifest["usd_exchange_rate"] == "0.14"
    assert rows == [["Maintainer username", "Sponsorship amount in USD"], ["alice-gh", "4200"], ["'=cmd", "4200"]]


def test_models_without_a_payout_identity_are_listed_as_blocked_with_the_reason(api, frozen):
    blocked = _rows(api(None).get("/api/v1/sponsorship/quarters/2026Q4/payouts/blocked.csv", HTTP_ACCEPT_LANGUAGE="en"))
    expenses = _rows(api(None).get("/api/v1/sponsorship/quarters/2026Q4/payouts/open-collective.csv"))

    assert [row[0] for row in blocked[1:]] == ["gamma"] and "no linked GitHub account" in blocked[1][5]
    assert expenses[0][:5] == ["payee", "description", "amount", "currency", "status"]
    by_model = {row[6]: row for row in expenses[1:]}
    assert set(by_model) == {"alpha", "beta", "gamma"}
    assert by_model["alpha"][2:5] == ["30000.00", "CNY", "ready"] and by_model["alpha"][0] == "alice-gh"
    assert by_model["gamma"][4] == "blocked" and by_model["gamma"][5]


def test_a_quarter_sealed_without_a_rate_cannot_be_exported_to_github_sponsors_and_open_ones_are_not_paid(api, make_user):
    steward = make_user(Role.STEWARD)
    certify(register(make_user(Role.CURATOR), "solo").current_version)
    quarter_open(actor=steward, label="2026Q3", pool_minor_units=1_000, currency="EUR")
    quarter_compute(actor=steward, label="2026Q3")
    assert_error(api(steward).get("/api/v1/sponsorship/quarters/2026Q3/payouts/open-collective.csv"), 409, "not_frozen")
    quarter_freeze(actor=steward, label="2026Q3")

    assert_error(api(None).get("/api/v1/sponsorship/quarters/2026Q3/payouts/github-sponsors.csv"), 409, "no_exchange_rate")
    assert _rows(api(None).get("/api/v1/sponsorship/quarters/2026Q3/payouts/blocked.csv"))[1][0] == "solo"
