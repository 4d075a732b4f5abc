"""Course notebooks 01 to 06: each follows the catalogue format and, run at smoke size in the go3s-factory
kernel, reports metrics in the ranges its lesson depends on.

The notebooks run with their own folder as working directory (as the portal runs them); shipped data is
read from `../data/<slug>/`. Notebook 06 writes under `output/tep001/`, which the test removes again.
"""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import nbformat
import pytest

from tests.catalogue.engine import course_runner

papermill = pytest.importorskip("papermill")

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "catalogue" / "course"
DATA = ROOT / "catalogue" / "data"
NOTEBOOKS = [
    "01-ct-nodule-segmentation.ipynb",
    "02-emr-deidentification.ipynb",
    "03-drug-catalogue-service.ipynb",
    "04-awq-4bit-quantization.ipynb",
    "05-kv-cache-pruning.ipynb",
    "06-tep001-task-descriptors.ipynb",
]
SHIPPED_DATA = {"emr-deidentification": 2, "drug-catalogue-service": 3, "tep001": 6}
ASSIGNMENT = re.compile(r"^(\w+)\s*=", re.MULTILINE)
HAN = re.compile(r"[\u4e00-\u9fff]")


run_notebook = course_runner(COURSE)


@pytest.mark.parametrize(("slug", "number"), SHIPPED_DATA.items())
def test_shipped_data_stays_small(slug: str, number: int) -> None:
    files = [p for p in (DATA / slug).rglob("*") if p.is_file()]
    assert files
    assert sum(p.stat().st_size for p in files) < 200 * 1024
    (notebook,) = COURSE.glob(f"{number:02d}-*.ipynb")
    assert nbformat.read(notebook, as_version=4).metadata["portal"]["slug"] == slug


def test_tep001_schema_accepts_the_valid_and_rejects_the_invalid_descriptors() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    schema = json.loads((DATA / "tep001" / "tep001.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    valid = sorted((DATA / "tep001" / "descriptors" / "valid").glob("*.yaml"))
    invalid = sorted((DATA / "tep001" / "descriptors" / "invalid").glob("*.yaml"))
    assert len(valid) >= 5 and len(invalid) >= 8
    for path in valid:
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))), path.name
    for path in invalid:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))), path.name


def test_emr_gold_spans_point_at_their_text() -> None:
    lines = (DATA / "emr-deidentification" / "emr_records.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert len(records) == 40
    assert {r["lang"] for r in records} == {"zh", "en"}
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for record in records:
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["text"]
            if span["type"] == "CN_RESIDENT_ID":
                value = span["text"]
                assert "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights, strict=True)) % 11] == value[17]


# ---- 01 CT nodule segmentation -------------------------------------------------------------------------
def test_incremental_round_improves_dice_on_the_new_scanner(tmp_path: Path) -> None:
    m = run_notebook("01-ct-nodule-segmentation.ipynb", tmp_path)
    for key in ("dice_before", "dice_after", "dice_site_a_before", "dice_site_a_after"):
        assert 0.0 <= m[key] <= 1.0
    assert m["dice_after"] > m["dice_before"] + 0.1
    assert m["dice_site_a_after"] > m["dice_site_a_before"] - 0.2  # replay keeps scanner A
    assert m["epochs"] == 8
    assert m["volumes"] == 12 + 12 + 2 * 4
    assert m["device"] == "cpu" or m["device"] == "cuda"


# ---- 02 EMR de-identification --------------------------------------------------------------------------
def test_deidentification_scores_per_entity_type(tmp_path: Path) -> None:
    m = run_notebook("02-emr-deidentification.ipynb", tmp_path)
    assert m["records"] == 40
    assert m["recall_cn_resident_id"] == 1.0
    assert m["precision_cn_resident_id"] == 1.0
    assert m["id_precision_regex_only"] < 1.0  # the barcodes only the check digit rules out
    for entity in ("phone_number", "email_address", "medical_record_number"):
        assert m[f"recall_{entity}"] == 1.0
        assert m[f"precision_{entity}"] >= 0.95
    assert m["recall_person"] < 1.0  # names in free text: the lesson's point
    assert m["recall_medical_term"] < 1.0  # terms missing from the dictionary
    assert m["micro_precision"] >= 0.95
    assert 0.8 <= m["micro_recall"] < 1.0
    assert m["micro_recall_ci_low"] <= m["micro_recall"] <= m["micro_recall_ci_high"]
    assert m["leaked_values"] > 0
    assert 0 < m["records_without_leaks"] < m["records"]


def test_deidentification_without_check_digit_loses_precision(tmp_path: Path) -> None:
    m = run_notebook("02-emr-deidentification.ipynb", tmp_path, validate_checksum=False, bootstrap_samples=0)
    assert m["recall_cn_resident_id"] == 1.0
    assert m["precision_cn_resident_id"] < 1.0


# ---- 03 drug catalogue service -------------------------------------------------------------------------
def test_catalogue_service_flags_exactly_the_injected_faults(tmp_path: Path) -> None:
    m = run_notebook("03-drug-catalogue-service.ipynb", tmp_path)
    assert m["prescriptions_checked"] == 60
    assert m["accepted"] + m["rejected"] == m["prescriptions_checked"]
    assert m["decisions_match_injected"] == 1.0
    for reason in ("unknown_code", "dose_over_max", "restriction"):
        assert m[f"rejected_{reason}"] >= 1
    assert m["rejected"] <= m["rejected_unknown_code"] + m["rejected_dose_over_max"] + m["rejected_restriction"]
    assert 0 < m["latency_p50_ms"] <= m["latency_p95_ms"] < 1000
    assert m["server_stopped"] is True
    assert re.fullmatch(r"[0-9a-f]{64}", m["catalogue_sha256"])  # the teaching sample it loaded, named
    assert m["decisions_name_catalogue"] is True


# ---- 04 AWQ 4-bit quantization -------------------------------------------------------------------------
def test_int4_quantization_keeps_accuracy_and_awq_reduces_error(tmp_path: Path) -> None:
    m = run_notebook("04-awq-4bit-quantization.ipynb", tmp_path)
    assert m["acc_fp32"] > 0.85
    assert m["acc_rtn"] >= m["acc_fp32"] - 0.05
    assert m["acc_awq"] >= m["acc_rtn"] - 0.02
    assert m["mean_layer_error_awq"] <= m["mean_layer_error_rtn"]
    assert m["mean_layer_error_rtn"] < m["mean_layer_error_rtn_2bit"]
    assert m["bytes_fp32"] == 4 * (64 * 128 + 128 * 128 + 128 * 10)
    assert m["bytes_int4"] < m["bytes_int4_awq"] < m["bytes_fp32"] / 6
    assert m["compression_ratio"] > 6


# ---- 05 KV-cache pruning -------------------------------------------------------------------------------
def test_kv_pruning_at_073_saves_reads_not_memory_with_small_drift(tmp_path: Path) -> None:
    m = run_notebook("05-kv-cache-pruning.ipynb", tmp_path)
    assert m["threshold"] == 0.73
    assert 0 < m["kept_fraction"] < 0.5
    assert m["reads_saved_percent"] > 30
    # the queries together need more blocks than any one of them: less memory can be freed than reads are saved
    assert m["kept_fraction"] < m["union_kept_fraction"] <= 1
    assert m["memory_freeable_percent"] < m["reads_saved_percent"] - 10
    assert 0 <= m["output_drift"] < 0.1
    assert m["drift_evicted_by_first_query"] > 3 * m["output_drift"]  # freeing one query's unneeded blocks hurts the rest
    assert m["same_topic_blocks_kept"] == 1.0
    assert m["window_drift_same_memory"] > 3 * m["output_drift"]
    again = run_notebook("05-kv-cache-pruning.ipynb", tmp_path)
    assert again == m, "seeded runs must reproduce their metrics"


def test_kv_pruning_threshold_trades_reads_for_drift(tmp_path: Path) -> None:
    loose = run_notebook("05-kv-cache-pruning.ipynb", tmp_path, threshold=0.3)
    strict = run_notebook("05-kv-cache-pruning.ipynb", tmp_path, threshold=0.95)
    assert loose["reads_saved_percent"] < strict["reads_saved_percent"]
    assert loose["memory_freeable_percent"] <= strict["memory_freeable_percent"]
    assert loose["output_drift"] < strict["output_drift"]


# ---- 06 TEP-001 ----------------------------------------------------------------------------------------
def test_tep001_validates_and_dispatches_per_modality(tmp_path: Path) -> None:
    def check_outputs(out: Path) -> None:
        files = {p.suffix: p for p in out.iterdir()}
        assert set(files) >= {".json", ".txt", ".png", ".wav", ".csv"}
        assert files[".png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with wave.open(str(files[".wav"])) as audio:
            assert audio.getframerate() == 16000
            assert audio.getnframes() == int(16000 * 0.8)
        answer = json.loads(files[".json"].read_text(encoding="utf-8"))
        assert answer["grade"] in {"A", "B", "C", "D"}
        assert set(answer["treatment"]) <= {"topical", "phototherapy", "systemic"}
        assert files[".csv"].read_text(encoding="utf-8").splitlines()[0] == "ward,date,inpatients,occupancy"

    m = run_notebook("06-tep001-task-descriptors.ipynb", tmp_path, inspect_output=check_outputs)
    assert m["expected_outcomes_match"] is True
    assert m["seed_example_valid"] is True
    assert m["seed_as_printed_rejected"] is True
    assert m["valid"] == 5
    assert m["invalid"] == m["descriptors"] - m["valid"] >= 8
    assert m["error_messages"] >= m["invalid"]
    dispatched = [m[f"dispatched_{k}"] for k in ("text", "image", "audio", "table")]
    assert all(n >= 1 for n in dispatched)
    assert sum(dispatched) == m["valid"] == m["outputs_written"]
