"""Sponsorship quarters end to end: open, compute from what is certified now, freeze with a sealed manifest,
exports; a frozen quarter refuses every write path with 409 and logs the attempt; concurrent calls leave one
consistent result."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AuditLogEntry, Role
from governance import sponsorship_rules
from governance.models import Allocation, CommunityModel, Quarter
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from governance.tasks import quarter_compute as quarter_compute_task
from tests.conftest import assert_error
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def steward(make_user):
    return make_user(Role.STEWARD)


def certified_models(make_user, count, *, prefix="m"):
    owner = make_user(Role.CURATOR)
    models = []
    for index in range(count):
        model = register(owner, f"{prefix}{index:03d}")
        certify(model.current_version)
        models.append(model)
    return models


def _open(api, steward, label="2026Q4", pool=1_000_000, **extra):
    body = {"label": label, "pool_minor_units": pool, "currency": "CNY", **extra}
    return api(steward).post("/api/v1/sponsorship/quarters/", body, format="json")


def test_thirty_certified_models_get_three_percent_each_and_the_rest_is_reported(api, make_user, steward):
    certified_models(make_user, 30)
    register(make_user(Role.CURATOR), "uncertified")
    assert _open(api, steward).status_code == 201

    computed = api(steward).post("/api/v1/sponsorship/quarters/2026Q4/compute/").json()
    allocations = api(steward).get("/api/v1/sponsorship/quarters/2026Q4/allocations/").json()

    assert computed["eligible_count"] == 30 and computed["share"] == "3/100"
    assert {a["amount_minor_units"] for a in allocations["allocations"]} == {30_000}
    assert allocations["unallocated_minor_units"] == 100_000
    assert "uncertified" not in {a["model"] for a in allocations["allocations"]}


def test_forty_three_models_share_the_pool_in_forty_thirds(make_user, steward):
    certified_models(make_user, 43)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000_000, currency="CNY")

    quarter = quarter_compute(actor=steward, label="2026Q4")

    amounts = sorted(Allocation.objects.values_list("amount_minor_units", flat=True))
    assert quarter.share == "1/43" and quarter.unallocated_minor_units == 0
    assert amounts.count(23_256) == 35 and amounts.count(23_255) == 8 and sum(amounts) == 1_000_000
    # Leftover units go by slug ascending.
    assert Allocation.objects.get(model_slug="m000").amount_minor_units == 23_256
    assert Allocation.objects.get(model_slug="m042").amount_minor_units == 23_255


def test_eligible_means_certified_at_the_moment_of_computing(make_user, steward):
    models = certified_models(make_user, 3)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=900, currency="CNY")
    assert quarter_compute(actor=steward, label="2026Q4").eligible_count == 3

    models[0].certifications.update(expires_at=timezone.now() - timedelta(seconds=1))
    recomputed = quarter_compute(actor=steward, label="2026Q4")

    assert recomputed.eligible_count == 2 and recomputed.computations == 2
    assert set(Allocation.objects.values_list("model_slug", flat=True)) == {"m001", "m002"}


def test_freeze_seals_a_manifest_anyone_can_verify_and_recompute(api, make_user, steward):
    models = certified_models(make_user, 4)
    _open(api, steward, pool=1_001)
    api(steward).post("/api/v1/sponsorship/quarters/2026Q4/compute/")

    frozen = api(steward).post("/api/v1/sponsorship/quarters/2026Q4/freeze/").json()
    download = api(None).get("/api/v1/sponsorship/quarters/2026Q4/manifest.json").content
    manifest = {**json.loads(download), "sha256": frozen["manifest_sha256"]}

    # The file is exactly the hashed bytes: hashing the download gives the published SHA-256.
    assert frozen["status"] == "frozen" and hashlib.sha256(download).hexdigest() == frozen["manifest_sha256"]
    assert sponsorship_rules.verify(manifest) and sponsorship_rules.verify_file(download, frozen["manifest_sha256"]) == []
    for field in (
        "methodology_version",
        "pool_minor_units",
        "currency",
        "weight",
        "cap",
        "tie_break",
        "eligible",
        "allocations",
        "unallocated_minor_units",
    ):
        assert field in manifest
    # Recomputed from the manifest alone:
    again = sponsorship_rules.allocate(
        pool_minor_units=manifest["pool_minor_units"], eligible=manifest["eligible"].keys(),
        weight=sponsorship_rules.Fraction(manifest["weight"]), cap=sponsorship_rules.Fraction(manifest["cap"]),
    )  # fmt: skip
    assert again.amounts == manifest["allocations"]
    assert manifest["eligible"][models[0].slug] == sorted(models[0].certifications.get().evaluation_ids)
    tampered = {**manifest, "allocations": {**manifest["allocations"], models[0].slug: 1}}
    assert not sponsorship_rules.verify(tampered)


def test_exports_csv_and_json(api, make_user, steward):
    certified_models(make_user, 2)
    _open(api, steward, pool=101)
    api(steward).post("/api/v1/sponsorship/quarters/2026Q4/compute/")

    rows = list(
        csv.DictReader(io.StringIO(api(steward).get("/api/v1/sponsorship/quarters/2026Q4/allocations.csv").content.decode()))
    )

    assert [r["model"] for r in rows] == ["m000", "m001", "(unallocated)"]
    assert sum(int(r["amount_minor_units"]) for r in rows) == 101


def test_open_quarters_are_for_stewards_frozen_ones_are_public(api, make_user, steward):
    certified_models(make_user, 1)
    _open(api, steward)
    student = make_user(Role.STUDENT)

    assert_error(api(student).get("/api/v1/sponsorship/quarters/2026Q4/"), 404)
    assert api(student).get("/api/v1/sponsorship/quarters/").json()["results"] == []
    assert_error(api(student).post("/api/v1/sponsorship/quarters/2026Q4/compute/"), 404)
    assert_error(_open(api, student, label="2027Q1"), 403)
    quarter_compute(actor=steward, label="2026Q4")
    quarter_freeze(actor=steward, label="2026Q4")
    assert api(None).get("/api/v1/sponsorship/quarters/2026Q4/allocations/").status_code == 200
    assert_error(api(student).post("/api/v1/sponsorship/quarters/2026Q4/compute/"), 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "2026Q5"}, "label"), ({"label": "26Q4"}, "label"), ({"pool_minor_units": 0}, "pool_minor_units"),
        ({"pool_minor_units": 1.5}, "pool_minor_units"), ({"currency": "yuan"}, "currency"), ({"weight_percent": 0}, "weight_percent"),
        ({"cap_percent": 101}, "cap_percent"),
    ],
)  # fmt: skip
def test_bad_quarters_are_a_400_naming_the_field(api, steward, body, field):
    response = api(steward).post(
        "/api/v1/sponsorship/quarters/", {"label": "2026Q4", "pool_minor_units": 100, "currency": "CNY", **body}, format="json"
    )

    assert field in assert_error(response, 400)["fields"]
    assert Quarter.objects.count() == 0


@pytest.fixture
def frozen(make_user, steward):
    certified_models(make_user, 3)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    return quarter_freeze(actor=steward, label="2026Q4")


def _snapshot():
    quarter = Quarter.objects.get(label="2026Q4")
    return (quarter.manifest_sha256, quarter.pool_minor_units, quarter.computations,
            list(Allocation.objects.order_by("model_slug").values_list("model_slug", "amount_minor_units")))  # fmt: skip


def test_a_frozen_quarter_refuses_every_write_path_with_409_and_logs_it(api, client, admin_client, steward, frozen, make_user):
    certified_models(make_user, 2, prefix="late")  # would change the outcome if anything recomputed
    before = _snapshot()
    client.force_login(steward)
    refusals_before = AuditLogEntry.objects.filter(action__endswith=".refused").count()

    assert_error(api(steward).post("/api/v1/sponsorship/quarters/2026Q4/compute/"), 409, "quarter_frozen")
    assert_error(api(steward).post("/api/v1/sponsorship/quarters/2026Q4/freeze/"), 409, "quarter_frozen")
    assert_error(
        api(steward).patch("/api/v1/sponsorship/quarters/2026Q4/", {"pool_minor_units": 5}, format="json"), 409, "quarter_frozen"
    )
    assert client.post("/sponsorship/quarters/2026Q4/compute/").status_code == 409
    assert client.post("/sponsorship/quarters/2026Q4/freeze/").status_code == 409
    admin = admin_client.post(
        f"/admin/governance/quarter/{frozen.pk}/change/", {"pool_minor_units": 5, "weight_percent": 3, "cap_percent": 100}
    )
    assert admin.status_code == 409
    with pytest.raises(CommandError, match="409"):
        call_command("compute_quarter", "2026Q4")
    assert quarter_compute_task.delay("2026Q4").get().startswith("refused")

    assert _snapshot() == before
    assert AuditLogEntry.objects.filter(action__endswith=".refused").count() - refusals_before == 8


def test_the_database_itself_refuses_changes_to_a_frozen_quarter(frozen):
    for change in (
        lambda: Quarter.objects.filter(pk=frozen.pk).update(pool_minor_units=1),
        lambda: Allocation.objects.filter(quarter=frozen).update(amount_minor_units=0),
        lambda: Allocation.objects.filter(quarter=frozen).delete(),
        lambda: Allocation.objects.create(
            quarter=frozen, model=CommunityModel.objects.first(), version=CommunityModel.objects.first().current_version,
            certification=Allocation.objects.first().certification, model_slug="x", amount_minor_units=1,
        ),
    ):  # fmt: skip
        with pytest.raises(IntegrityError if connection.vendor == "sqlite" else Exception), transaction.atomic():
            change()
    assert Quarter.objects.get(pk=frozen.pk).pool_minor_units == 1_000


@pytest.mark.django_db(transaction=True)
def test_concurrent_compute_and_freeze_leave_exactly_one_consistent_result(make_user, steward):
    certified_models(make_user, 5)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=10_007, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def call(action):
        try:
            barrier.wait()
            action(actor=steward, label="2026Q4")
            outcomes.append(action.__name__)
        except Exception as error:  # the losers see 409
            outcomes.append(f"{action.__name__}:{getattr(error, 'status', type(error).__name__)}")
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(action,)) for action in [quarter_freeze] * 3 + [quarter_compute] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("quarter_freeze") == 1, outcomes
    assert all(o in {"quarter_freeze", "quarter_compute", "quarter_freeze:409", "quarter_compute:409"} for o in outcomes), (
        outcomes
    )
    quarter = Quarter.objects.get(label="2026Q4")
    assert quarter.frozen and sponsorship_rules.verify(quarter.manifest)
    assert (
        sum(Allocation.objects.filter(quarter=quarter).values_list("amount_minor_units", flat=True))
        + quarter.unallocated_minor_units
        == 10_007
    )
    assert quarter.manifest["allocations"] == dict(
        Allocation.objects.filter(quarter=quarter).values_list("model_slug", "amount_minor_units")
    )


def test_the_steward_dashboard_and_quarter_page(client, make_user, steward, django_assert_max_num_queries):
    certified_models(make_user, 3)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    client.force_login(steward)

    with django_assert_max_num_queries(40) as small:
        page = client.get("/sponsorship/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-chart="pool-split"' in html and 'data-chart="over-time"' in html
    assert 'data-chart="robustness"' in html and "style=" not in html
    certified_models(make_user, 20, prefix="more")
    with django_assert_max_num_queries(40) as large:
        client.get("/sponsorship/?state=certified")
    assert len(large.captured_queries) <= len(small.captured_queries) + 2  # the chart cache may be cold or warm
    assert client.get("/sponsorship/quarters/2026Q4/").status_code == 200
    client.force_login(make_user(Role.AUDITOR))
    assert client.get("/sponsorship/").status_code == 403


def test_allocations_csv_neutralises_a_slug_a_spreadsheet_would_run(api, make_user, steward):
    models = certified_models(make_user, 1)
    models[0].slug = "-2+3"
    models[0].save(update_fields=["slug"])
    _open(api, steward, pool=100)
    api(steward).post("/api/v1/sponsorship/quarters/2026Q4/compute/")

    rows = list(
        csv.DictReader(io.StringIO(api(steward).get("/api/v1/sponsorship/quarters/2026Q4/allocations.csv").content.decode()))
    )

    assert [r["model"] for r in rows] == ["'-2+3", "(unallocated)"]
    assert rows[0]["amount_minor_units"].isdigit()  # a number stays a number
    assert sum(int(r["amount_minor_units"]) for r in rows) == 100


def _links(html: str, heading: str) -> list[str]:
    """The model slugs linked in the dashboard paragraph that starts with `heading`."""
    line = next(line for line in html.splitlines() if f"<strong>{heading}</strong>" in line)
    return [part.split('"', 1)[0].strip("/").split("/")[-1] for part in line.split('href="')[1:]]


def test_the_dashboard_says_which_models_joined_or_left_since_the_last_frozen_quarter(
    client, make_user, steward, settings, django_assert_max_num_queries
):
    settings.LANGUAGE_CODE = "en"
    certified_models(make_user, 2, prefix="stay")
    goes = certified_models(make_user, 3, prefix="go")
    quarter_open(actor=steward, label="2026Q3", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q3")
    quarter_freeze(actor=steward, label="2026Q3")
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    # Given: two of the allocated models lose their certification, three models are newly certified
    for model in goes[1:]:
        model.certifications.update(status="ended", ended_at=timezone.now())
    certified_models(make_user, 3, prefix="new")
    client.force_login(steward)

    with django_assert_max_num_queries(40) as few:
        html = client.get("/sponsorship/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "data-certified-count>6</p>" in html  # 2 stay + go000 + 3 new
    assert _links(html, "Newly eligible") == ["new000", "new001", "new002"]
    assert _links(html, "No longer eligible") == ["go001", "go002"]
    assert "(2026Q3)" in html  # compared with the last frozen quarter, not the open one

    # When more models joined than the dashboard names: the first 50 by slug, and the query count stays the same
    certified_models(make_user, 52, prefix="late")
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        html = client.get("/sponsorship/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    joined = _links(html, "Newly eligible")
    assert joined == sorted([f"late{i:03d}" for i in range(52)] + ["new000", "new001", "new002"])[:50]
    assert "data-certified-count>58</p>" in html


def test_the_dashboard_filters_models_by_certification_state(client, make_user, steward):
    certified_models(make_user, 2, prefix="ok")
    soon = certified_models(make_user, 1, prefix="soon")
    soon[0].certifications.update(expires_at=timezone.now() + timedelta(days=3))
    lapsed = certified_models(make_user, 1, prefix="lapsed")
    lapsed[0].certifications.update(expires_at=timezone.now() - timedelta(days=1))
    register(make_user(Role.CURATOR), "never")
    client.force_login(steward)

    def rows(query: str) -> list[str]:
        html = client.get(f"/sponsorship/?{query}").content.decode()
        table = html.split("<tbody>")[1].split("</tbody>")[0]
        return [part.split('"', 1)[0].strip("/").split("/")[-1] for part in table.split('href="')[1:]]

    assert rows("state=certified") == ["ok000", "ok001", "soon000"]
    assert rows("state=expiring") == ["soon000"]
    assert rows("state=not_certified") == ["lapsed000", "never"]
    assert rows("state=suspended") == []
    assert rows("") == ["lapsed000", "never", "ok000", "ok001", "soon000"]


def test_the_pool_split_follows_each_computation_of_the_quarter(client, make_user, steward):
    certified_models(make_user, 3)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    client.force_login(steward)
    assert client.get("/sponsorship/").content.decode().count('<g class="row"') == 4  # 3 models + unallocated

    # When: two more models are certified and the quarter is computed again (the split is cached per computation)
    certified_models(make_user, 2, prefix="late")
    quarter_compute(actor=steward, label="2026Q4")

    for url in ("/sponsorship/", "/sponsorship/quarters/2026Q4/"):
        html = client.get(url).content.decode()
        assert html.count('<g class="row"') == 6 and 'data-row="late001"' in html


def test_each_language_draws_the_same_minute_of_chart_numbers_and_no_longer(client, make_user, steward, monkeypatch):
    certified_models(make_user, 2)
    client.force_login(steward)

    def models_counted(language):
        html = client.get("/sponsorship/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return re.findall(r'data-chart="(?:robustness|explainability|energy)"', html), re.findall(r"· (\d+) ", html)

    english = models_counted("en")
    certified_models(make_user, 3, prefix="later")  # within the minute the numbers are cached
    chinese = models_counted("zh-hans")
    assert len(english[0]) == 3 and english[1] == ["2", "2", "2"]
    assert chinese[1] == english[1]  # the other language draws the same numbers

    # Given numbers counted 50 seconds ago and no drawing of them yet
    data = cache.get("governance:steward-chart-data")
    cache.set("governance:steward-chart-data", {**data, "counted_at": timezone.now() - timedelta(seconds=50)}, 10)
    cache.delete("governance:steward-charts-drawn:en")
    timeouts = {}
    real_set = cache.set

    def set_and_note(key, value, timeout=None):
        timeouts[key] = timeout
        real_set(key, value, timeout)

    monkeypatch.setattr(cache, "set", set_and_note)

    # When the page draws them, the drawing is kept only for what is left of their minute
    assert models_counted("en")[1] == ["2", "2", "2"]
    assert 1 <= timeouts["governance:steward-charts-drawn:en"] <= 10
