"""The linked GitHub login is the payout identity (issue #19 item 1): an owner who linked GitHub is paid under that
login in the sealed quarter's manifest and the GitHub Sponsors CSV; an owner who has not is listed as blocked."""

from __future__ import annotations

import csv
import io

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import Role
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _seal(steward):
    quarter_open(
        actor=steward, label="2026Q4", pool_minor_units=10_000_00, currency="CNY", weight_percent=30, usd_exchange_rate="0.14"
    )
    quarter_compute(actor=steward, label="2026Q4")
    return quarter_freeze(actor=steward, label="2026Q4")


def test_an_owner_who_linked_github_is_paid_under_that_login(api, make_user):
    steward = make_user(Role.STEWARD)
    linked, unlinked = make_user(Role.CURATOR), make_user(Role.CURATOR)
    certify(register(linked, "paid").current_version)
    certify(register(unlinked, "waiting").current_version)
    # What the GitHub sign-in (or a confirmed link) writes: the account's `extra_data` is GitHub's /user answer.
    SocialAccount.objects.create(user=linked, provider="github", uid="583231", extra_data={"id": 583231, "login": "octo-owner"})

    quarter = _seal(steward)

    assert quarter.manifest["models"]["paid"]["payout_identity"] == {"github": "octo-owner"}
    assert quarter.manifest["models"]["waiting"]["payout_identity"] is None
    url = reverse("api-quarter-payouts-github", kwargs={"label": "2026Q4"})
    rows = list(csv.reader(io.StringIO(api(None).get(url).content.decode())))
    assert rows[1:] == [["octo-owner", "420"]]
    blocked = api(None).get("/api/v1/sponsorship/quarters/2026Q4/payouts/blocked.csv").content.decode()
    assert "waiting" in blocked and "paid" not in blocked.split("\n", 1)[1]


def test_the_owners_page_shows_the_linked_github_login(client, make_user):
    owner = make_user(Role.CURATOR)
    register(owner, "shown")
    SocialAccount.objects.create(user=owner, provider="github", uid="9", extra_data={"login": "shown-gh"})
    client.force_login(owner)

    assert "shown-gh" in client.get("/me/models/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
