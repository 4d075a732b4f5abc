"""Datasets through the API: create, import (validated, all or nothing, size-limited), versions, visibility."""

from __future__ import annotations

import functools
import operator

import pytest

from accounts.models import Role
from curation.models import Annotation, Dataset, DatasetItem
from tests.conftest import assert_error, audit_actions
from tests.curation.curation_helpers import CSV, JSONL, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(make_user):
    return make_user(Role.CURATOR)


@pytest.fixture
def draft(api, curator):
    response = api(curator).post("/api/v1/datasets/", {"slug": "xray-notes", "licence": "CC-BY-4.0"}, format="json")
    assert response.status_code == 201, response.content
    return Dataset.objects.get(slug="xray-notes")


def test_csv_import_stores_items_annotations_and_majorities(api, curator, draft):
    response = upload(api(curator), draft.slug, CSV)

    assert response.status_code == 201, response.content
    assert response.json() == {"items": 5, "annotations": 14}
    finals = dict(DatasetItem.objects.filter(dataset=draft).values_list("key", "final_label"))
    assert finals == {"1": "normal", "2": "abnormal", "3": "", "4": "", "5": "abnormal"}
    assert "dataset.import" in audit_actions()


def test_jsonl_import(api, curator, draft):
    response = upload(api(curator), draft.slug, JSONL, name="items.jsonl")

    assert response.status_code == 201, response.content
    assert set(DatasetItem.objects.filter(dataset=draft).values_list("key", flat=True)) == {"a", "7"}


@pytest.mark.parametrize(
    ("content", "name", "problem"),
    [
        ("id,text,label\n1,x,a\n", "bad.csv", "Missing columns: annotator"),
        ("id,text,annotator,label\n1,hello,ann,\n", "bad.csv", "give both annotator and label"),
        ("id,text,annotator,label\n1,hello,ann,a\n1,,ann,b\n", "bad.csv", "labels item '1' twice"),
        ('{"id": "1", "text": "x", "annotations": {}}\nnot json\n', "bad.jsonl", "line 2: not valid JSON"),
        ("id,text,annotator,label\n1,hello,ann,a\n", "items.txt", "csv or .jsonl"),
    ],
)
def test_bad_upload_is_a_400_naming_the_problem_and_stores_nothing(api, curator, draft, content, name, problem):
    response = upload(api(curator), draft.slug, content, name=name)

    error = assert_error(response, 400)
    assert problem in " ".join(functools.reduce(operator.iadd, error["fields"].values(), []))
    assert not DatasetItem.objects.filter(dataset=draft).exists()
    assert not Annotation.objects.exists()


def test_importing_an_item_twice_is_refused_whole(api, curator, draft):
    upload(api(curator), draft.slug, CSV)
    before = DatasetItem.objects.count()

    response = upload(api(curator), draft.slug, "id,text,annotator,label\n99,new,ann,a\n1,dup,ann,a\n")

    assert_error(response, 400, "invalid_upload")
    assert DatasetItem.objects.count() == before


def test_oversized_upload_is_413(api, curator, draft, settings):
    settings.CURATION_UPLOAD_MAX_BYTES = 1024
    response = upload(api(curator), draft.slug, "id,text,annotator,label\n" + "1,x,a,b\n" * 400)

    assert_error(response, 413, "too_large")
    assert not DatasetItem.objects.exists()


def test_only_curators_import(api, make_user, draft):
    response = upload(api(make_user(Role.STUDENT)), draft.slug, CSV)

    assert_error(response, 403)


def test_drafts_are_hidden_from_everyone_but_curators(api, make_user, curator, draft):
    released = Dataset.objects.create(slug="public-set", owner=curator, licence="CC0", state=Dataset.State.RELEASED)
    student = make_user(Role.STUDENT)

    listed = {row["slug"] for row in api(student).get("/api/v1/datasets/").json()["results"]}
    assert listed == {released.slug}
    assert_error(api(student).get(f"/api/v1/datasets/{draft.slug}/"), 404)
    assert_error(api(None).get(f"/api/v1/datasets/{draft.slug}/agreement/"), 404)
    assert api(None).get(f"/api/v1/datasets/{released.slug}/agreement/").status_code == 200
    assert {row["slug"] for row in api(curator).get("/api/v1/datasets/").json()["results"]} == {released.slug, draft.slug}


def test_new_version_is_a_new_record_and_history_stays(api, curator, draft):
    client = api(curator)
    assert_error(client.post(f"/api/v1/datasets/{draft.slug}/versions/", {}, format="json"), 409, "draft_exists")
    Dataset.objects.filter(pk=draft.pk).update(state=Dataset.State.RELEASED)

    response = client.post(f"/api/v1/datasets/{draft.slug}/versions/", {"licence": "CC0"}, format="json")

    assert response.status_code == 201
    assert response.json()["version"] == 2
    detail = client.get(f"/api/v1/datasets/{draft.slug}/").json()
    assert detail["version"] == 2
    assert [row["version"] for row in detail["versions"]] == [2, 1]
    assert client.get(f"/api/v1/datasets/{draft.slug}/?version=1").json()["state"] == "released"


def test_description_markdown_is_rendered_safely(api, curator):
    hostile = "# Notes\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**"
    api(curator).post("/api/v1/datasets/", {"slug": "hostile", "licence": "CC0", "description": hostile}, format="json")

    html = api(curator).get("/api/v1/datasets/hostile/").json()["description_html"]

    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html  # refused as a link: it stays visible as plain text
