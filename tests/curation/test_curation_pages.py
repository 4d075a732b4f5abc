"""Curation pages: the home's query count, a refused release shows its reason with 409, the PII page tells
that names are not detected, drafts stay hidden."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from curation.models import Annotation, Dataset, DatasetItem, PiiFlag

pytestmark = pytest.mark.django_db


def _dataset(owner, slug, items=3):
    dataset = Dataset.objects.create(slug=slug, owner=owner, licence="CC0")
    for index in range(items):
        item = DatasetItem.objects.create(dataset=dataset, key=str(index), text=f"text {index} 13812345678")
        Annotation.objects.create(item=item, annotator="a", label="x")
        Annotation.objects.create(item=item, annotator="b", label="y")
        PiiFlag.objects.create(dataset=dataset, item=item, start=7, end=18, kind="phone", text="13812345678")
    return dataset


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/curation/", "/curation/datasets/set-0/arbitration/", "/curation/datasets/set-0/pii/"])
def test_page_query_count_does_not_grow_with_rows(browser_client, make_user, path):
    curator = make_user(Role.CURATOR)
    client = browser_client(curator)
    _dataset(curator, "set-0", items=2)
    small = _queries(client, path)
    for index in range(1, 6):
        _dataset(curator, f"set-{index}", items=2)
    for index in range(2, 12):
        item = DatasetItem.objects.create(dataset=Dataset.objects.get(slug="set-0"), key=f"more-{index}", text="t 13812345678")
        Annotation.objects.create(item=item, annotator="a", label="x")
        Annotation.objects.create(item=item, annotator="b", label="y")
        PiiFlag.objects.create(dataset=item.dataset, item=item, start=2, end=13, kind="phone", text="13812345678")

    assert _queries(client, path) == small


def test_refused_release_on_the_page_is_409_with_the_reason(browser_client, make_user):
    curator = make_user(Role.CURATOR)
    dataset = _dataset(curator, "held")
    DatasetItem.objects.filter(dataset=dataset).update(scanned_at="2026-01-01T00:00:00Z")
    client = browser_client(curator)
    token = client.get("/curation/datasets/held/").cookies["csrftoken"].value

    response = client.post("/curation/datasets/held/release/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 409
    assert "3 flags not reviewed" in response.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).state == "draft"


def test_pii_page_says_that_names_are_not_detected_and_highlights_spans(browser_client, make_user):
    curator = make_user(Role.CURATOR)
    _dataset(curator, "names")

    html = browser_client(curator).get("/curation/datasets/names/pii/").content.decode()

    assert "data-name-detection" in html
    assert '<mark class="pii">13812345678</mark>' in html


def test_a_draft_page_is_404_for_a_visitor_and_a_released_one_public(client, make_user):
    curator = make_user(Role.CURATOR)
    _dataset(curator, "secret")
    Dataset.objects.create(slug="shared", owner=curator, licence="CC0", state=Dataset.State.RELEASED)

    assert client.get("/curation/datasets/secret/").status_code == 404
    assert client.get("/curation/datasets/shared/").status_code == 200
