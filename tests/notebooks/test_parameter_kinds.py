"""Text parameters declare their kind; the server refuses anything else with a 400 naming the parameter,
before anything is queued. The real catalogue declares a kind for every text parameter."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from accounts.errors import ApplicationError
from accounts.models import Role
from notebooks.catalogue import NotebookInvalid, read_notebook
from notebooks.models import Run
from notebooks.parameters import spec_from_inspection, validate_parameters
from notebooks.services import catalogue_sync
from tests.conftest import assert_error
from tests.notebooks import builders

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
KINDS = builders.notebook(
    "text-kinds",
    ["print(model_name, data_dir, owner, mode)"],
    parameters=(
        'model_name = "digits"  # a file name\n'
        'data_dir = "../data"  # a folder\n'
        'owner = "Course team"  # printed\n'
        'mode = "fast"  # fast or slow\n'
        'undeclared = "x"  # no kind: an identifier\n'
    ),
    declared={
        "model_name": {"kind": "identifier", "max_length": 20},
        "data_dir": {"kind": "path"},
        "owner": {"kind": "text", "max_length": 30},
        "mode": {"kind": "choice", "choices": ["fast", "slow"]},
    },
)


@pytest.fixture
def kinds_catalogue(tmp_path, settings, monkeypatch):
    root = builders.write_catalogue(tmp_path / "catalogue", [KINDS])
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    assert not catalogue_sync(actor=None, root=root).invalid
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda *args, **kwargs: None)
    return root


HOSTILE = [
    ("model_name", "../../../../tmp/x", "identifier"),
    ("model_name", "/etc/passwd", "identifier"),
    ("model_name", ".hidden", "identifier"),
    ("model_name", "a" * 21, "at most 20"),
    ("model_name", "x\x00y", "identifier"),
    ("undeclared", "../x", "identifier"),
    ("data_dir", "/var/lib/portal", "relative path"),
    ("data_dir", "../../etc", "climbs out"),
    ("data_dir", "../data/../../..", "climbs out"),
    ("data_dir", "~/secrets", "relative path"),
    ("data_dir", "..\\..\\x", "relative path"),
    ("data_dir", "../data/.ssh", "hidden"),
    ("owner", "x" * 31, "at most 30"),
    ("owner", "line\nbreak", "control characters"),
    ("mode", "../fast", "one of fast, slow"),
]


@pytest.mark.parametrize(("name", "value", "words"), HOSTILE)
def test_a_value_outside_its_kind_is_a_400_naming_the_parameter(kinds_catalogue, make_user, api, name, value, words):
    response = api(make_user(Role.STUDENT)).post(
        "/api/v1/runs/", {"notebook": "text-kinds", "parameters": {name: value}}, format="json"
    )

    error = assert_error(response, 400, "invalid_parameters")
    assert list(error["fields"]) == [name]
    assert words in error["fields"][name][0]
    assert Run.objects.count() == 0


def test_values_within_their_kinds_are_queued_as_given(kinds_catalogue, make_user, api):
    given = {"model_name": "my-model_v2.1", "data_dir": "../data/numbers", "owner": "张伟 & team", "mode": "slow"}

    response = api(make_user(Role.STUDENT)).post("/api/v1/runs/", {"notebook": "text-kinds", "parameters": given}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["parameters"] == {**given, "undeclared": "x"}


def test_a_catalogue_notebook_with_an_unknown_kind_or_a_default_outside_it_is_invalid():
    bad = builders.notebook(
        "bad-kinds",
        [],
        parameters='where = "/abs/path"  # a folder\nhow = "x"  # ?\n',
        declared={"where": {"kind": "path"}, "how": {"kind": "filename"}},
    )
    with pytest.raises(NotebookInvalid) as caught:
        read_notebook(nbformat.writes(bad))
    problems = " ".join(caught.value.problems)
    assert "'where'" in problems and "relative path" in problems
    assert "'how'" in problems and "kind must be one of" in problems


def test_list_items_are_short_identifiers():
    spec = spec_from_inspection("events", "list", '["A01"]', "", {})
    assert validate_parameters([spec], {"events": ["A01", "A08"]}) == {"events": ["A01", "A08"]}
    with pytest.raises(ApplicationError, match="not valid") as caught:
        validate_parameters([spec], {"events": ["A01", "../../x"]})
    assert "events" in caught.value.fields


@pytest.mark.parametrize("path", sorted(CATALOGUE.glob("*/*.ipynb")), ids=lambda p: p.name)
def test_every_text_parameter_of_the_catalogue_declares_its_kind(path):
    """Complete by construction: a new catalogue notebook with an undeclared text parameter fails here."""
    entry = read_notebook(path.read_bytes())
    declared = entry.parameters
    for spec in declared:
        if spec["type"] == "str":
            portal = json.loads(path.read_text())["metadata"]["portal"]
            assert "kind" in portal["parameters"].get(spec["name"], {}), f"{path.name}: {spec['name']} declares no kind"
