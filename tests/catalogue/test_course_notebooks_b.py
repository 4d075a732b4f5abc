"""Course notebooks 07 to 12: each follows the catalogue format and, run at smoke size in the go3s-factory
kernel, reports metrics in the ranges its lesson depends on.

The notebooks run with the notebook folder as working directory (as the portal runs them) and write under
its `output/<slug>/`; each run removes what it created there.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from tests.catalogue.engine import course_runner

papermill = pytest.importorskip("papermill")

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "catalogue" / "course"
NOTEBOOKS = [
    "07-hl7-adt-rules.ipynb",
    "08-annotation-agreement.ipynb",
    "09-onnx-runtime-optimisation.ipynb",
    "10-go-gctrace-analysis.ipynb",
    "11-tabular-bias-evaluation.ipynb",
    "12-model-card-evidence.ipynb",
]
SHIPPED_DATA = ["hl7-adt-rules", "go-gctrace"]
ASSIGNMENT = re.compile(r"^(\w+)\s*=", re.MULTILINE)


run_notebook = course_runner(COURSE)


@pytest.mark.parametrize("slug", SHIPPED_DATA)
def test_shipped_data_stays_small(slug: str) -> None:
    files = [p for p in (ROOT / "catalogue" / "data" / slug).rglob("*") if p.is_file()]
    assert files
    assert sum(p.stat().st_size for p in files) < 300 * 1024


# ---- 07 HL7 ------------------------------------------------------------------------------------------
def test_hl7_rules_engine_accepts_good_and_rejects_malformed_messages(tmp_path: Path) -> None:
    def check_acks(out: Path) -> None:
        acks = {p.name: p.read_text() for p in (out / "acks").glob("*.ack.hl7")}
        assert "MSA|AA|MSG00001" in acks["01_a01_admit_adult_med.ack.hl7"]
        assert "MSA|AE|MSG00008" in acks["08_a01_missing_pid_segment.ack.hl7"]  # no PID segment
        assert "MSA|AE|MSG00007" in acks["07_a01_missing_dob.ack.hl7"]  # required field missing
        assert "MSA|AR|MSG00015" in acks["15_a01_version_23.ack.hl7"]  # unsupported version
        assert re.search(r"^MSA\|AR\|$", acks["16_no_msh_header.ack.hl7"], re.MULTILINE)  # unreadable: no id to echo
        assert "MSA|AR|" in acks["24_truncated_msh.ack.hl7"]

    m = run_notebook("07-hl7-adt-rules.ipynb", tmp_path, inspect_output=check_acks)
    assert m["messages"] == 24
    assert m["matches_expected"] == m["messages"], "the engine disagrees with the reviewed expectations"
    assert m["ack_AA"] + m["ack_AE"] + m["ack_AR"] == m["messages"]
    assert m["accepted"] == m["ack_AA"]
    assert m["rejected"] == m["ack_AE"] + m["ack_AR"]
    assert m["ack_AE"] >= 1
    assert m["ack_AR"] >= 1
    assert m["errors"] >= m["rejected"]
    assert m["warnings"] >= 1
    assert m["acks_valid"] is True
    assert m["fuzz_messages"] == 40
    assert m["fuzz_internal_errors"] == 0
    assert m["fuzz_accepted"] < m["fuzz_messages"]
    assert m["evn2_garbage_refused"] is True  # a garbled or empty EVN-2 gets AE, not AA
    assert m["fuzz_accepted_evn2_damaged"] == 0


# ---- 08 annotation agreement -------------------------------------------------------------------------
def test_agreement_matches_the_generator_and_scikit_learn(tmp_path: Path) -> None:
    m = run_notebook("08-annotation-agreement.ipynb", tmp_path)
    for key in ("cohen_kappa", "fleiss_kappa", "agreement_before", "agreement_after"):
        assert -1 <= m[key] <= 1
    assert m["cohen_kappa"] == pytest.approx(m["cohen_kappa_sklearn"], abs=1e-6)
    assert m["fleiss_kappa"] == pytest.approx(m["fleiss_kappa_expected"], abs=0.1)
    assert m["cohen_kappa"] == pytest.approx(m["cohen_kappa_expected"], abs=0.15)
    assert m["cohen_kappa"] < m["percent_agreement"] <= 1
    assert 0 < m["queue_size"] < m["n_items"] / 2
    assert m["label_accuracy_after"] >= m["label_accuracy_before"]


def test_agreement_extremes(tmp_path: Path) -> None:
    perfect = run_notebook("08-annotation-agreement.ipynb", tmp_path, annotator_accuracy=[1.0, 1.0, 1.0], n_items=60)
    assert perfect["cohen_kappa"] == pytest.approx(1.0)
    assert perfect["fleiss_kappa"] == pytest.approx(1.0)
    assert perfect["queue_size"] == 0
    chance = run_notebook("08-annotation-agreement.ipynb", tmp_path, annotator_accuracy=[0.25] * 4, n_items=600)
    assert abs(chance["fleiss_kappa"]) < 0.06
    assert abs(chance["cohen_kappa"]) < 0.1


# ---- 09 ONNX Runtime -----------------------------------------------------------------------------------
def test_onnx_levels_agree_and_optimise_the_graph(tmp_path: Path) -> None:
    m = run_notebook("09-onnx-runtime-optimisation.ipynb", tmp_path)
    assert m["outputs_agree"] is True
    assert m["max_abs_diff"] < 1e-4
    assert m["opset"] == 17
    assert m["nodes_basic"] < m["nodes_disable_all"]  # BatchNorm folded into Conv
    assert m["nodes_extended"] < m["nodes_basic"]  # Conv+ReLU and GELU fused
    assert m["optimisation_levels"] == 5  # onnxruntime 1.32: DISABLE_ALL, BASIC, EXTENDED, LAYOUT, ALL
    for level in ("disable_all", "basic", "extended", "layout", "all"):
        assert 0 < m[f"latency_ms_{level}"] <= m[f"latency_p90_ms_{level}"]
    assert m["nodes_layout"] >= m["nodes_extended"]
    assert m["test_accuracy"] > 0.5


# ---- 10 Go GC traces -----------------------------------------------------------------------------------
def test_gctrace_shows_the_gogc_trade_off(tmp_path: Path) -> None:
    m = run_notebook("10-go-gctrace-analysis.ipynb", tmp_path)
    assert m["source"] == "shipped traces"
    assert m["go_version"].startswith("go1.")
    assert m["runs_parsed"] == 12
    assert m["unparsed_lines"] == 0
    gogc = [50, 100, 200, 400]
    counts = [m[f"gc_count_gogc{g}"] for g in gogc]
    peaks = [m[f"heap_peak_mb_gogc{g}"] for g in gogc]
    assert counts == sorted(counts, reverse=True)
    assert len(set(counts)) == 4
    assert peaks == sorted(peaks)
    assert len(set(peaks)) == 4
    assert m["cpu_percent_gogc50"] > m["cpu_percent_gogc400"]
    assert m["pause_ms_total_gogc50"] > m["pause_ms_total_gogc400"]
    assert all(0 < m[f"pause_ms_mean_gogc{g}"] < 1 for g in gogc)  # sub-millisecond, unlike the guide's table


# ---- 11 bias -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mitigation", ["reweighing", "group_thresholds"])
def test_mitigation_reduces_the_planted_bias(tmp_path: Path, mitigation: str) -> None:
    m = run_notebook("11-tabular-bias-evaluation.ipynb", tmp_path, mitigation=mitigation)
    assert m["mitigation"] == mitigation
    assert m["dp_diff_before"] > 0.03, "the planted under-diagnosis should be visible before mitigation"
    assert m["dp_diff_after"] < m["dp_diff_before"]
    assert m["eo_diff_after"] < m["eo_diff_before"]
    assert m["eo_diff_unaware"] < m["eo_diff_before"]  # dropping `rural` closes part of the gap (the notebook says how much)
    for key in ("acc_before", "acc_after", "acc_hist_before", "acc_hist_after"):
        assert 0.5 < m[key] <= 1
    assert m["acc_hist_after"] <= m["acc_hist_before"], "against the biased labels mitigation cannot look better"


# ---- 12 model card -------------------------------------------------------------------------------------
def test_model_card_bundle_verifies(tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def check_bundle(out: Path) -> None:
        (bundle,) = out.glob("*-evidence.zip")
        seen["sha256"] = hashlib.sha256(bundle.read_bytes()).hexdigest()
        with zipfile.ZipFile(bundle) as zf:
            lines = zf.read("SHA256SUMS").decode().splitlines()
            manifest = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
            assert set(manifest) | {"SHA256SUMS"} == set(zf.namelist())
            for member, digest in manifest.items():
                assert hashlib.sha256(zf.read(member)).hexdigest() == digest, member
            card = zf.read("model_card.md").decode()
        assert "## Intended Use" in card
        assert "## Caveats and Recommendations" in card

    m = run_notebook("12-model-card-evidence.ipynb", tmp_path, inspect_output=check_bundle)
    assert re.fullmatch(r"[0-9a-f]{64}", m["bundle_sha256"])
    assert m["bundle_sha256"] == seen["sha256"]
    assert m["files_in_bundle"] == 5
    assert m["card_sections"] == 9
    assert m["hashes_verified"] is True
    assert m["tamper_detected"] is True
    assert m["bundle_reproducible"] is True
    assert m["accuracy"] > 0.9
    assert m["accuracy_ci_low"] <= m["accuracy"] <= m["accuracy_ci_high"]
