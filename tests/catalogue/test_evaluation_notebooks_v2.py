"""Executes the methodology-v2 evaluation notebooks (E1-E3 v2) through the portal's run engine at small sizes.

E1 v2 must evaluate the models v1 refused (the course's notebook-09 CNN, a small transformer) and name an operator
it cannot run; E2 v2 reports its sensitivity table and verdict; E3 v2 must measure the model: a model about ten
times costlier per inference measures at least five times the energy. About 3.5 minutes on a busy 2-core machine
(most of it kernel start-ups); the energy comparison itself takes about 45 s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from tests.catalogue.engine import run_through_engine

papermill = pytest.importorskip("papermill")
onnx = pytest.importorskip("onnx")

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
EVALUATION = ROOT / "catalogue" / "evaluation"
NOTEBOOKS = {
    "robustness": "e1-robustness-v2.ipynb",
    "explainability": "e2-explainability-v2.ipynb",
    "energy": "e3-energy-v2.ipynb",
}


def _run(dimension: str, package: str, **overrides: Any) -> dict[str, Any]:
    """`package` is an example model's name, or a `../packages/…` path (see `_shared`)."""
    path = package if package.startswith("../") else f"../models/{package}"
    return run_through_engine(EVALUATION / NOTEBOOKS[dimension], {"package_path": path, **overrides})


def _shared(settings: Any, package: Path) -> str:
    """A package built by the test, offered to runs as the portal offers uploaded ones: its folder linked into
    the run's scratch as `packages/` and readable by the sandbox's user (a path parameter never leaves the scratch)."""
    package.parent.chmod(0o755)
    settings.NOTEBOOK_SHARED_DIRS = {"packages": package.parent}
    return f"../packages/{package.name}"


def _mlp_package(folder: Path, hidden: int, op: str = "Relu") -> Path:
    """A 64 -> hidden -> hidden -> 10 MLP as an evaluation package (random weights; only its cost matters)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(hidden)
    weights = [rng.normal(0, 0.05, shape).astype(np.float32) for shape in ((64, hidden), (hidden, hidden), (hidden, 10))]
    nodes = [
        helper.make_node("MatMul", ["pixels", "w0"], ["h0"]),
        helper.make_node(op, ["h0"], ["a0"]),
        helper.make_node("MatMul", ["a0", "w1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["a1"]),
        helper.make_node("MatMul", ["a1", "w2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        f"mlp{hidden}",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(w, f"w{i}") for i, w in enumerate(weights)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True)
    onnx.save(model, str(folder / "model.onnx"))
    metadata = {"name": folder.name, "version": "1.0.0", "input_shape": [64], "value_range": [0.0, 1.0]}
    (folder / "metadata.json").write_text(json.dumps({**metadata, "class_names": [str(d) for d in range(10)]}))
    with open(folder / "eval.npz", "wb") as fh:
        np.savez(fh, x=rng.random((40, 64), dtype=np.float32), y=rng.integers(0, 10, 40).astype(np.int64))
    return folder


@pytest.mark.parametrize(("package", "samples"), [("digits-cnn-course09", 200), ("digits-transformer", 100)])
def test_e1_v2_evaluates_the_course_cnn_and_a_transformer(package: str, samples: int) -> None:
    metrics = _run("robustness", package, max_samples=samples)

    assert metrics["methodology_version"] == "v2" and metrics["model_name"] == package
    assert {"Erf", "LayerNormalization"} <= set(metrics["operators"].split(","))  # what v1 refused
    assert metrics["conversion_max_abs_diff"] <= 1e-4
    assert metrics["value"] == pytest.approx(100.0 * metrics["flipped_samples"] / metrics["correct_samples"], abs=1e-3)
    assert 0.0 <= metrics["art_success_rate_percent"] <= 100.0
    assert metrics["pgd_success_rate_percent"] >= metrics["value"]  # PGD starts where FGSM ends and only adds steps
    assert isinstance(metrics["gradient_masking_suspected"], bool)
    assert metrics["passes"] is (metrics["value"] < 5.0)
    assert metrics["conformant"] is False  # a subset: a learning run, not a health value


def test_an_operator_the_interpreter_lacks_is_named_and_no_value_is_produced(tmp_path: Path, settings: Any) -> None:
    package = _shared(settings, _mlp_package(tmp_path / "uses-sin", 16, op="Sin"))

    with pytest.raises(AssertionError) as caught:
        _run("robustness", package)

    assert "failed: UnsupportedOperator:" in str(caught.value)
    assert "Sin" in str(caught.value).split("UnsupportedOperator:", 1)[1]


def test_e2_v2_prints_a_sensitivity_table_and_a_verdict() -> None:
    metrics = _run("explainability", "digits-robust", n_explain=30)

    assert metrics["methodology_version"] == "v2" and metrics["unit"] == "percent"
    assert metrics["value"] >= metrics["random_reference_percent"] + 30.0  # LIME's order beats a random one
    assert metrics["passes"] is True and metrics["verdict"] in {"pass", "marginal pass"}
    assert metrics["marginal"] is (metrics["verdict"] == "marginal pass")
    for key in ("deletion_steps_8", "deletion_steps_32", "min_full_drop_0.05", "min_full_drop_0.15", "threshold_percent_81.0"):
        assert metrics[f"sensitivity_{key}"].endswith(("pass", "fail"))
    assert metrics["conformant"] is False


def test_e3_v2_measures_the_model_a_ten_times_costlier_model_measures_at_least_five_times_the_energy(
    tmp_path: Path, settings: Any
) -> None:
    # 64-512-512-10 is 0.30 M multiply-adds per inference; 64-1700-1700-10 is 3.02 M: 10.1 times the work.
    small = _shared(settings, _mlp_package(tmp_path / "mlp-small", 512))
    large = _shared(settings, _mlp_package(tmp_path / "mlp-large", 1700))

    cheap = _run("energy", small, window_s=2.0, repeats=2)
    costly = _run("energy", large, window_s=2.0, repeats=2)

    for metrics in (cheap, costly):
        assert metrics["idle_baseline_subtracted"] is True and metrics["window_s"] == 2.0
        assert metrics["backend"] in {"estimate", "RAPL", "NVML"} and metrics["estimated"] is (metrics["backend"] == "estimate")
        assert metrics["cpu_model"] and metrics["architecture"]
        assert metrics["value"] > 0 and metrics["uncertainty"] >= 0
        assert metrics["conformant"] is False  # windows under 10 s
    ratio = costly["energy_j_per_inference"] / cheap["energy_j_per_inference"]
    print(
        f"energy per inference: {cheap['energy_j_per_inference']:.3e} J vs {costly['energy_j_per_inference']:.3e} J, ratio {ratio:.2f}"
    )
    assert ratio >= 5.0


def test_v2_notebooks_are_stored_without_outputs_and_declare_their_parameters() -> None:
    for name in NOTEBOOKS.values():
        notebook = nbformat.read(EVALUATION / name, as_version=4)
        nbformat.validate(notebook)
        portal = notebook.metadata["portal"]
        assert portal["kind"] == "evaluation" and portal["slug"] == name.removesuffix(".ipynb")
        inspected = papermill.inspect_notebook(str(EVALUATION / name))
        assert set(portal["parameters"]) <= set(inspected)
        assert set(portal["smoke_parameters"]) <= set(inspected)
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and 'device = "auto"' in tagged[0].source
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None
