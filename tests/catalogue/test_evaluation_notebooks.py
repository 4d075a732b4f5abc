"""Executes the three health-evaluation notebooks (E1-E3) against both example packages.

Each notebook runs once per package at its smoke size in the go3s-factory kernel; the assertions read
the JSON object that the notebook's `metrics`-tagged cell displays, exactly as the portal does.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.catalogue.engine import run_through_engine

papermill = pytest.importorskip("papermill")

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
EVALUATION = ROOT / "catalogue" / "evaluation"
MODELS = ROOT / "catalogue" / "models"
KERNEL = "go3s-factory"
NOTEBOOKS = {
    "robustness": "e1-robustness-fgsm.ipynb",
    "explainability": "e2-explainability-lime.ipynb",
    "energy": "e3-energy-codecarbon.ipynb",
}
PACKAGES = ("digits-robust", "digits-fragile")
REQUIRED_KEYS = {"dimension", "value", "unit", "threshold", "passes", "methodology_version", "samples"}

_executed: dict[tuple[str, str], dict[str, Any]] = {}


def _run(dimension: str, package: str, tmp_dir: Path, package_path: str | None = None) -> dict[str, Any]:
    """The notebook's metrics, executed through the portal's run engine against the package."""
    return run_through_engine(EVALUATION / NOTEBOOKS[dimension], {"package_path": package_path or f"../models/{package}"})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evaluation-notebooks")


@pytest.fixture
def metrics_for(run_dir: Path):
    """`metrics_for(dimension, package)`: the notebook's metrics, executed at most once per module."""

    def get(dimension: str, package: str) -> dict[str, Any]:
        key = (dimension, package)
        if key not in _executed:
            _executed[key] = _run(dimension, package, run_dir)
        return _executed[key]

    return get


def _check_common(metrics: dict[str, Any], dimension: str, package: str) -> None:
    assert metrics.keys() >= REQUIRED_KEYS, sorted(REQUIRED_KEYS - metrics.keys())
    assert metrics["dimension"] == dimension
    assert metrics["methodology_version"] == "v1"
    assert isinstance(metrics["passes"], bool)
    assert isinstance(metrics["value"], float)
    assert math.isfinite(metrics["value"])
    assert isinstance(metrics["samples"], int)
    assert metrics["samples"] > 0
    assert metrics["model_name"] == package


@pytest.mark.parametrize("package", PACKAGES)
def test_robustness_flags_the_fragile_model_only(metrics_for, package: str) -> None:
    metrics = metrics_for("robustness", package)
    _check_common(metrics, "robustness", package)
    assert metrics["unit"] == "percent"
    assert metrics["threshold"] == 5.0
    assert 0.0 <= metrics["value"] <= 100.0
    assert metrics["epsilon"] == 0.03
    assert metrics["interpreter_max_abs_diff"] <= 1e-4
    assert metrics["clean_accuracy_percent"] >= 90.0  # both examples are accurate; only robustness differs
    assert metrics["flipped_samples"] <= metrics["correct_samples"] <= metrics["samples"]
    assert metrics["value"] == pytest.approx(100.0 * metrics["flipped_samples"] / metrics["correct_samples"], abs=1e-3)
    if package == "digits-robust":
        assert metrics["passes"] is True
        assert metrics["value"] < 5.0
    else:
        assert metrics["passes"] is False
        assert metrics["value"] >= 5.0
        assert metrics["value"] > 30.0  # fails clearly, not by a hair


@pytest.mark.parametrize("package", PACKAGES)
def test_explainability(metrics_for, package: str) -> None:
    metrics = metrics_for("explainability", package)
    _check_common(metrics, "explainability", package)
    assert metrics["unit"] == "percent"
    assert metrics["threshold"] == 82.0
    assert 0.0 <= metrics["value"] <= 100.0
    assert metrics["passes"] is (metrics["value"] >= 82.0)
    assert 0 < metrics["eligible_samples"] <= metrics["samples"]
    assert metrics["top_k"] == 10
    assert metrics["n_features"] == 64
    # LIME's top features must beat the same number of random ones by a wide margin on both models
    assert metrics["value"] >= metrics["random_reference_percent"] + 30.0
    if package == "digits-robust":
        assert metrics["passes"] is True


@pytest.mark.parametrize("package", PACKAGES)
def test_energy(metrics_for, package: str) -> None:
    metrics = metrics_for("energy", package)
    _check_common(metrics, "energy", package)
    assert metrics["unit"] == "g_co2e_per_1k_inferences"
    assert metrics["threshold"] == 0.18
    assert metrics["samples"] == 1000
    assert metrics["conformant"] is True
    assert 0.0 < metrics["value"] <= 0.18
    assert metrics["passes"] is True
    assert metrics["backend"] in {"estimate", "RAPL", "Windows EMI (RAPL)", "Intel Power Gadget"}
    assert metrics["estimated"] is (metrics["backend"] == "estimate")
    assert metrics["region"] == "USA"
    assert 10.0 < metrics["carbon_intensity_g_per_kwh"] < 1500.0
    assert 0.0 < metrics["wall_time_s"] < 60.0


def test_a_zipped_package_gives_the_same_verdict(run_dir: Path, tmp_path: Path, settings: Any) -> None:
    """Packages may be uploaded as .zip files; the notebooks read them like folders."""
    tmp_path.chmod(0o755)  # the portal's packages folder is readable by the sandbox's user; pytest's is 0700
    settings.NOTEBOOK_SHARED_DIRS = {"packages": tmp_path}
    archive = tmp_path / "digits-fragile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("model.onnx", "metadata.json", "eval.npz"):
            zf.write(MODELS / "digits-fragile" / name, f"digits-fragile/{name}")
    metrics = _run("robustness", "digits-fragile", run_dir / "zip", package_path=f"../packages/{archive.name}")
    assert metrics["passes"] is False
    assert metrics["value"] > 30.0


def test_a_broken_package_stops_with_a_clear_error(run_dir: Path, tmp_path: Path, settings: Any) -> None:
    tmp_path.chmod(0o755)  # the portal's packages folder is readable by the sandbox's user; pytest's is 0700
    settings.NOTEBOOK_SHARED_DIRS = {"packages": tmp_path}
    broken = tmp_path / "broken"
    shutil.copytree(MODELS / "digits-robust", broken)
    metadata = json.loads((broken / "metadata.json").read_text())
    metadata["input_shape"] = [8, 8]  # the model takes [N, 64]
    (broken / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(AssertionError) as caught:
        _run("energy", "digits-robust", run_dir / "broken", package_path="../packages/broken")
    # The run failed, and its error names the package problem (what the portal shows the auditor).
    assert "failed: PackageError:" in str(caught.value)
    assert "input" in str(caught.value).split("PackageError:", 1)[1]


def test_notebooks_are_stored_without_outputs() -> None:
    for name in NOTEBOOKS.values():
        notebook = nbformat.read(EVALUATION / name, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata["kernelspec"]["name"] == KERNEL
        portal = notebook.metadata["portal"]
        assert portal["kind"] == "evaluation"
        assert portal["licence"] == "CC-BY-NC-SA-4.0"
        assert portal["title"]["en"]
        assert portal["title"]["zh-hans"]
        # every declared parameter must be visible to papermill's inspection (the portal builds its form from it)
        inspected = papermill.inspect_notebook(str(EVALUATION / name))
        assert set(portal["parameters"]) <= set(inspected), sorted(set(portal["parameters"]) - set(inspected))
        assert set(portal["smoke_parameters"]) <= set(inspected)
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        assert 'device = "auto"' in tagged[0].source
        assert 'package_path = "../models/digits-robust"' in tagged[0].source
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs
                assert cell.execution_count is None
