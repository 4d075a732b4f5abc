"""A curator's ruling is one of the dataset's labels: anything else is refused (400 naming the field) and nothing
is stored; adding a label to the label set is its own, logged step."""

from __future__ import annotations

import pytest

from accounts.models import AuditLogEntry, Role
from curation.models import Dataset, DatasetItem, Ruling
from tests.conftest import assert_error
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


def test_a_ruling_outside_the_label_set_is_refused_and_nothing_is_stored(api, curator, dataset):
    item = DatasetItem.objects.get(dataset=dataset, key="3")

    response = api(curator).post(
        "/api/v1/datasets/notes/rulings/", {"item": item.pk, "label": "abnromal", "reason": "typo"}, format="json"
    )

    assert_error(response, 400, "unknown_label")
    assert "label" in response.json()["error"]["fields"] and "abnormal" in response.json()["error"]["fields"]["label"][0]
    item.refresh_from_db()
    assert item.final_label == "" and not Ruling.objects.exists()


def test_adding_a_label_is_logged_and_then_a_ruling_may_use_it(client, curator, dataset):
    item = DatasetItem.objects.get(dataset=dataset, key="3")
    client.force_login(curator)

    page = client.get("/curation/datasets/notes/arbitration/").content.decode()
    assert f'<select id="label-{item.pk}" name="label" required>' in page and '<option value="abnormal">' in page

    assert client.post("/curation/datasets/notes/labels/", {"label": "indeterminate"}).status_code == 302
    response = client.post(f"/curation/datasets/notes/arbitration/{item.pk}/", {"label": "indeterminate", "reason": "Both."})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.final_label == "indeterminate"
    entry = AuditLogEntry.objects.get(action="dataset.label_add")
    assert "indeterminate" in entry.after["labels"] and "indeterminate" not in entry.before["labels"]
    assert client.post("/curation/datasets/notes/labels/", {"label": "indeterminate"}).status_code == 400
