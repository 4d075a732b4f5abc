"""The catalogue format, checked the same way for every course notebook (01–12)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

from tests.catalogue.engine import tagged

pytestmark = pytest.mark.notebooks

COURSE = Path(__file__).resolve().parents[2] / "catalogue" / "course"
NOTEBOOKS = sorted(path.name for path in COURSE.glob("[0-9][0-9]-*.ipynb"))
ASSIGNMENT = re.compile(r"^(\w+)\s*=", re.MULTILINE)
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_twelve_course_notebooks_are_there() -> None:
    assert [name[:2] for name in NOTEBOOKS] == [f"{number:02d}" for number in range(1, 13)]


@pytest.mark.parametrize("name", NOTEBOOKS, ids=lambda name: name[:2])
def test_notebook_follows_the_catalogue_format(name: str) -> None:
    nb = nbformat.read(COURSE / name, as_version=4)
    nbformat.validate(nb)
    portal = nb.metadata["portal"]
    assert nb.metadata["kernelspec"]["name"] == "go3s-factory"
    assert portal["kind"] == "course"
    assert portal["licence"] == "CC-BY-NC-SA-4.0"
    assert portal["order"] == int(name[:2])
    assert re.fullmatch(r"[a-z0-9-]+", portal["slug"])
    assert portal["level"] in {"beginner", "intermediate", "advanced"}
    assert portal["resources"]["accelerator"] in {"cpu", "gpu"}
    assert isinstance(portal["resources"]["expected_minutes"], int)
    assert portal["tags"]
    for key in ("title", "summary"):
        assert portal[key]["en"].strip()
        assert HAN.search(portal[key]["zh-hans"])
    assert all(cell.get("outputs", []) == [] for cell in nb.cells if cell.cell_type == "code"), "stored with outputs"

    (parameters,) = tagged(nb, "parameters")
    assigned = ASSIGNMENT.findall(parameters.source)
    inferred = papermill.inspect_notebook(str(COURSE / name))
    assert list(inferred) == assigned, "papermill could not read every line of the parameters cell"
    assert inferred["device"]["default"] == '"auto"'
    assert "seed" in inferred
    assert all(p["help"].strip() for p in inferred.values()), "every parameter needs a comment"
    assert set(portal["parameters"]) == set(assigned)
    assert portal["parameters"]["device"]["choices"] == ["auto", "cpu", "cuda"]
    for spec in portal["parameters"].values():
        assert spec["help"]["en"].strip()
        assert HAN.search(spec["help"]["zh-hans"])
    assert set(portal["smoke_parameters"]) <= set(assigned)

    (metrics,) = tagged(nb, "metrics")
    assert metrics.source.rstrip().endswith("display(JSON(metrics))")

    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert HAN.search(prose) and "What to try next" in prose, "teaching text in both languages"
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert not re.search(r"https?://(?!127\.0\.0\.1)", code.replace("BASE_URL", "")), "no network beyond loopback"
