"""Arbitration and de-identification review through the API, ending in a refused and then a granted release."""

from __future__ import annotations

import pytest

from accounts.models import Role
from curation.models import Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm
from curation.services import pii_scan_execute
from tests.conftest import assert_error, audit_actions
from tests.curation.curation_helpers import CSV, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(make_user):
    return make_user(Role.CURATOR)


@pytest.fixture
def dataset(api, curator):
    api(curator).post("/api/v1/datasets/", {"slug": "notes", "licence": "CC-BY-4.0"}, format="json")
    assert upload(api(curator), "notes", CSV).status_code == 201
    return Dataset.objects.get(slug="notes")


def _scan(client, slug, capture):
    with capture(execute=True):
        response = client.post(f"/api/v1/datasets/{slug}/pii-scans/", format="json")
    assert response.status_code == 202, response.content
    return client.get(f"/api/v1/datasets/{slug}/pii-scans/{response.json()['id']}/").json()


def test_arbitration_queue_holds_items_without_a_majority(api, curator, dataset):
    queue = api(curator).get("/api/v1/datasets/notes/arbitration/").json()["results"]

    assert [row["key"] for row in queue] == ["3", "4"]
    assert {a["annotator"]: a["label"] for a in queue[0]["annotations"]} == {"ann": "normal", "bob": "abnormal", "cy": "unclear"}


def test_ruling_sets_the_final_label_is_logged_and_raises_agreement_after(api, curator, dataset):
    client = api(curator)
    item = DatasetItem.objects.get(dataset=dataset, key="3")
    before = client.get("/api/v1/datasets/notes/agreement/").json()

    response = client.post(
        "/api/v1/datasets/notes/rulings/", {"item": item.pk, "label": "abnormal", "reason": "Opacity is visible."}, format="json"
    )

    assert response.status_code == 201, response.content
    item.refresh_from_db()
    assert (item.final_label, item.final_label_source) == ("abnormal", "ruling")
    assert "dataset.ruling" in audit_actions()
    after = client.get("/api/v1/datasets/notes/agreement/").json()
    assert after["before"] == before["before"]
    assert after["before"]["method"] == "fleiss"
    assert after["after"]["kappa"] > after["before"]["kappa"]
    assert [row["key"] for row in client.get("/api/v1/datasets/notes/arbitration/").json()["results"]] == ["4"]


def test_ruling_needs_a_reason(api, curator, dataset):
    item = DatasetItem.objects.get(dataset=dataset, key="3")
    error = assert_error(
        api(curator).post("/api/v1/datasets/notes/rulings/", {"item": item.pk, "label": "x"}, format="json"), 400
    )
    assert "reason" in error["fields"]


def test_ruling_on_an_item_of_another_dataset_is_404(api, curator, dataset):
    other = Dataset.objects.create(slug="other", owner=curator, licence="CC0")
    foreign = DatasetItem.objects.create(dataset=other, key="z", text="t")

    response = api(curator).post(
        "/api/v1/datasets/notes/rulings/", {"item": foreign.pk, "label": "a", "reason": "r"}, format="json"
    )

    assert_error(response, 404)


def test_scan_flags_planted_personal_data_with_progress(api, curator, dataset, django_capture_on_commit_callbacks):
    PiiTerm.objects.create(term="艾滋病", added_by=curator)

    scan = _scan(api(curator), "notes", django_capture_on_commit_callbacks)

    assert scan["status"] == "succeeded"
    assert (scan["items_done"], scan["items_total"], scan["progress_percent"]) == (5, 5, 100)
    flags = api(curator).get("/api/v1/datasets/notes/flags/").json()["results"]
    assert sorted((flag["item_key"], flag["kind"], flag["text"]) for flag in flags) == [
        ("2", "phone", "13812345678"),
        ("3", "medical_record", "MRN 1234567"),
        ("4", "email", "wang.fang@example.com"),
        ("5", "deny_term", "艾滋病"),
        ("5", "resident_id", "11010519491231002X"),
    ]
    text = DatasetItem.objects.get(dataset=dataset, key="2").text
    flag = next(flag for flag in flags if flag["kind"] == "phone")
    assert text[flag["start"] : flag["end"]] == "13812345678"


def test_a_scan_delivered_twice_runs_once_and_a_rescan_adds_no_duplicates(
    api, curator, dataset, django_capture_on_commit_callbacks
):
    scan = _scan(api(curator), "notes", django_capture_on_commit_callbacks)

    assert pii_scan_execute(scan_id=scan["id"]) == "already claimed"
    count = PiiFlag.objects.count()
    _scan(api(curator), "notes", django_capture_on_commit_callbacks)
    assert PiiFlag.objects.count() == count
    assert PiiScan.objects.count() == 2


def test_release_is_refused_until_flags_are_cleared_then_granted(api, curator, dataset, django_capture_on_commit_callbacks):
    client = api(curator)
    assert_error(client.post("/api/v1/datasets/notes/release/"), 409, "pii_unscanned")
    _scan(client, "notes", django_capture_on_commit_callbacks)

    error = assert_error(client.post("/api/v1/datasets/notes/release/"), 409, "pii_open")
    assert "4 flags not reviewed" in error["message"]

    flags = {flag["kind"]: flag for flag in client.get("/api/v1/datasets/notes/flags/").json()["results"]}
    for kind in ("phone", "email", "medical_record"):
        assert (
            client.post(
                f"/api/v1/datasets/notes/flags/{flags[kind]['id']}/", {"verdict": "true_positive"}, format="json"
            ).status_code
            == 200
        )
    assert (
        client.post(
            f"/api/v1/datasets/notes/flags/{flags['resident_id']['id']}/", {"verdict": "false_positive"}, format="json"
        ).status_code
        == 200
    )
    # A true positive not yet resolved still blocks.
    error = assert_error(client.post("/api/v1/datasets/notes/release/"), 409, "pii_open")
    assert "3 true positives" in error["message"]

    assert (
        client.post(
            f"/api/v1/datasets/notes/flags/{flags['phone']['id']}/resolve/", {"action": "redact"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/datasets/notes/flags/{flags['email']['id']}/resolve/", {"action": "remove"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/datasets/notes/flags/{flags['medical_record']['id']}/resolve/", {"action": "redact"}, format="json"
        ).status_code
        == 200
    )
    assert "13812345678" not in DatasetItem.objects.get(dataset=dataset, key="2").text
    assert DatasetItem.objects.get(dataset=dataset, key="4").removed

    # Arbitration is the last gate: item 3 has no majority.
    assert_error(client.post("/api/v1/datasets/notes/release/"), 409, "arbitration_open")
    item = DatasetItem.objects.get(dataset=dataset, key="3")
    client.post(
        "/api/v1/datasets/notes/rulings/", {"item": item.pk, "label": "normal", "reason": "Two of three see it."}, format="json"
    )

    response = client.post("/api/v1/datasets/notes/release/")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "released"
    assert {"pii_flag.review", "pii_flag.redact", "pii_flag.remove", "dataset.release"} <= set(audit_actions())
    # The log says where the personal data was, never what it was.
    from accounts.models import AuditLogEntry

    assert not any("13812345678" in str(entry.after) for entry in AuditLogEntry.objects.all())


def test_resolving_an_unreviewed_flag_is_409(api, curator, dataset, django_capture_on_commit_callbacks):
    _scan(api(curator), "notes", django_capture_on_commit_callbacks)
    flag = PiiFlag.objects.first()

    response = api(curator).post(f"/api/v1/datasets/notes/flags/{flag.pk}/resolve/", {"action": "redact"}, format="json")

    assert_error(response, 409, "flag_not_true_positive")


def test_deny_list_terms_are_added_and_removed_by_curators(api, curator, make_user):
    response = api(curator).post("/api/v1/pii-terms/", {"term": "乙肝"}, format="json")
    assert response.status_code == 201
    assert_error(api(curator).post("/api/v1/pii-terms/", {"term": "乙肝"}, format="json"), 400)
    assert_error(api(make_user(Role.STUDENT)).post("/api/v1/pii-terms/", {"term": "x"}, format="json"), 403)

    assert api(curator).delete(f"/api/v1/pii-terms/{response.json()['id']}/").status_code == 204
    assert not PiiTerm.objects.exists()
    assert {"pii_term.add", "pii_term.remove"} <= set(audit_actions())
