"""Reading notebooks into the catalogue, and the check endpoint contributors use on their own files."""

from __future__ import annotations

import json

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from notebooks.models import Notebook
from notebooks.services import catalogue_sync
from tests.conftest import assert_error
from tests.notebooks import builders

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/notebooks/check/"


def test_sync_creates_a_new_version_per_content_and_retires_removed_files(catalogue):
    short = Notebook.objects.get(slug="short")
    first = short.current_version

    changed = builders.notebook("short", ["print('changed')"])
    (catalogue / "course" / "short.ipynb").write_text(nbformat.writes(changed))
    (catalogue / "course" / "fails.ipynb").unlink()
    report = catalogue_sync(actor=None, root=catalogue)

    short.refresh_from_db()
    assert "short" in report.updated
    assert short.current_version != first
    assert short.versions.count() == 2
    assert "fails" in report.retired
    assert not Notebook.objects.get(slug="fails").is_active


def test_sync_reports_invalid_files_and_imports_the_rest(catalogue):
    (catalogue / "course" / "broken.ipynb").write_text("{not json")

    report = catalogue_sync(actor=None, root=catalogue)

    assert "course/broken.ipynb" in report.invalid
    assert Notebook.objects.filter(slug="short", is_active=True).exists()


def _check(client, payload):
    return client.post(CHECK, data=payload, content_type="application/json")


@pytest.fixture
def maintainer(make_user, api):
    return api(make_user(Role.TOOLCHAIN_MAINTAINER))


def test_a_valid_notebook_checks_out_with_its_typed_parameters(maintainer):
    response = _check(maintainer, nbformat.writes(builders.SHORT))

    assert response.status_code == 200, response.content
    assert {p["name"] for p in response.json()["parameters"]} == {"device", "steps"}


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("{not json", "not a JSON document"),
        (json.dumps({"nbformat": 3, "worksheets": []}), "nbformat 4"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "no"}), "valid nbformat 4"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # the decoder's RecursionError, once a 500
        ('{"nbformat": 4, "metadata": ' + "[" * 200 + "]" * 200 + "}", "valid nbformat 4"),  # deep, but decodable
    ],
)
def test_malformed_notebooks_are_a_400_saying_why(maintainer, payload, words):
    error = assert_error(_check(maintainer, payload), 400, "invalid_notebook")

    assert words in " ".join(error["fields"]["notebook"])


def test_a_notebook_without_a_parameters_cell_is_refused(maintainer):
    nb = builders.notebook("no-params", ["print(1)"])
    nb.cells = [cell for cell in nb.cells if "parameters" not in cell.metadata.get("tags", [])]

    error = assert_error(_check(maintainer, nbformat.writes(nb)), 400)

    assert "tagged 'parameters'" in " ".join(error["fields"]["notebook"])


def test_a_notebook_without_portal_metadata_is_refused(maintainer):
    nb = builders.notebook("x", [])
    del nb.metadata["portal"]

    assert "metadata.portal" in " ".join(assert_error(_check(maintainer, nbformat.writes(nb)), 400)["fields"]["notebook"])


def test_a_50_mb_upload_is_a_413(maintainer):
    big = SimpleUploadedFile("big.ipynb", b"x" * (50 * 1024 * 1024), content_type="application/json")

    assert_error(maintainer.post(CHECK, {"file": big}, format="multipart"), 413, "too_large")


def test_a_50_mb_json_body_is_a_413(maintainer):
    assert_error(_check(maintainer, "x" * (50 * 1024 * 1024)), 413)


def test_declared_metrics_are_checked_and_kept_with_the_version():
    import nbformat

    from notebooks.catalogue import NotebookInvalid, read_notebook
    from tests.notebooks import builders

    nb = builders.notebook("declares", ["x = 1"])
    nb.metadata["portal"]["metrics"] = {"steps": {"label": {"en": "Steps", "zh-hans": "步数"}, "digits": 0}}
    good = read_notebook(nbformat.writes(nb))
    nb.metadata["portal"]["metrics"] = {
        "steps": {"label": {"en": "Steps"}, "digits": 12, "higher_is_better": "yes", "colour": "red"},
        "ok": "a label",
    }

    with pytest.raises(NotebookInvalid) as refused:
        read_notebook(nbformat.writes(nb))

    assert good.metadata["metrics"]["steps"]["label"]["zh-hans"] == "步数"
    assert refused.value.problems == [  # in key order: the stored notebook sorts its keys
        "metadata.portal.metrics.ok must be an object",
        "metadata.portal.metrics.steps has unknown keys: colour",
        "metadata.portal.metrics.steps.label must be text or {'en': …, 'zh-hans': …}",
        "metadata.portal.metrics.steps.digits must be a whole number from 0 to 8",
        "metadata.portal.metrics.steps.higher_is_better must be true or false",
    ]
