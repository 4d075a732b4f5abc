"""Demo data for curation and the toolchain: datasets with disagreements and planted personal data, a deny-list,
and a benchmark whose result history includes a regression. Safe to run again (it skips what exists)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from curation.models import Dataset, DatasetItem, PiiTerm
from curation.services import dataset_create, dataset_import, dataset_release, ruling_create
from notebooks.models import Notebook
from toolchain.models import Benchmark, BenchmarkResult
from toolchain.services import benchmark_create, benchmark_result_record

DENY_TERMS = ["艾滋病", "HIV", "乙肝", "梅毒"]

# Three annotators label chest X-ray report sentences; some disagree, some texts carry personal data.
XRAY = [
    ("r01", "双肺纹理清晰，未见明显实变影。", ("normal", "normal", "normal")),
    ("r02", "右下肺见斑片状高密度影，考虑炎症。", ("abnormal", "abnormal", "abnormal")),
    ("r03", "左肺门影稍增大，建议随访。", ("normal", "abnormal", "unclear")),
    ("r04", "患者联系电话 13812345678，复查胸片未见异常。", ("normal", "normal", "abnormal")),
    ("r05", "心影大小形态正常，膈面光整。", ("normal", "normal", "normal")),
    ("r06", "病历号：ZY2023-04417，双侧肋膈角锐利。", ("normal", "unclear", "abnormal")),
    ("r07", "右上肺结节约 8mm，边界清。", ("abnormal", "abnormal", "unclear")),
    ("r08", "身份证 11010519491231002X，既往乙肝病史，肺野清晰。", ("normal", "normal", "normal")),
    ("r09", "Report sent to li.na@hospital.example.cn for review.", ("normal", "abnormal", "unclear")),
    ("r10", "MRN 7730012: mild cardiomegaly noted.", ("abnormal", "abnormal", "normal")),
    ("r11", "气管居中，纵隔未见增宽。", ("normal", "normal", "normal")),
    ("r12", "左下肺少许条索影，陈旧性病变可能。", ("unclear", "abnormal", "normal")),
    ("r13", "ID 110105194912310021 (typo in record), lungs clear.", ("normal", "normal", "normal")),
    ("r14", "双肺散在磨玻璃影，请结合临床。", ("abnormal", "abnormal", "abnormal")),
]
ANNOTATORS = ("annotator-zhao", "annotator-qian", "annotator-sun")

# Two annotators triage clinic notes (Cohen's κ applies).
TRIAGE = [
    ("t01", "发热三天，咳嗽。", ("urgent", "routine")),
    ("t02", "复诊取药。", ("routine", "routine")),
    ("t03", "胸痛伴大汗。", ("urgent", "urgent")),
    ("t04", "体检报告咨询。", ("routine", "routine")),
    ("t05", "头晕一周。", ("routine", "urgent")),
    ("t06", "外伤出血不止。", ("urgent", "urgent")),
]


def _csv(rows: Sequence[tuple[str, str, tuple[str, ...]]], annotators: tuple[str, ...]) -> bytes:
    lines = ["id,text,annotator,label"]
    for key, text, labels in rows:
        for index, (annotator, label) in enumerate(zip(annotators, labels, strict=True)):
            quoted = '"' + text.replace('"', '""') + '"' if index == 0 else ""
            lines.append(f"{key},{quoted},{annotator},{label}")
    return ("\n".join(lines) + "\n").encode()


def seed_curation(log: list[str]) -> None:
    curator = User.objects.get(username="demo-curator")
    for term in DENY_TERMS:
        PiiTerm.objects.get_or_create(term=term, defaults={"added_by": curator})
    if not Dataset.objects.filter(slug="chest-xray-reports").exists():
        dataset = dataset_create(
            actor=curator,
            slug="chest-xray-reports",
            licence="CC-BY-NC-4.0",
            description="Sentences from **de-identified** chest X-ray reports, labelled `normal`, `abnormal` or `unclear` "
            "by three annotators. Some sentences still carry planted personal data for the privacy review.",
        )
        dataset_import(actor=curator, dataset=dataset, raw=_csv(XRAY, ANNOTATORS), filename="xray.csv")
        log.append("dataset chest-xray-reports (draft, 3 annotators, disagreements and planted PII)")
    if not Dataset.objects.filter(slug="clinic-triage").exists():
        dataset = dataset_create(
            actor=curator, slug="clinic-triage", licence="CC0-1.0", description="Clinic notes triaged by two nurses."
        )
        dataset_import(actor=curator, dataset=dataset, raw=_csv(TRIAGE, ("nurse-li", "nurse-wu")), filename="triage.csv")
        # The released example: scanned, arbitrated and released.
        DatasetItem.objects.filter(dataset=dataset).update(scanned_at=timezone.now())
        for item in DatasetItem.objects.filter(dataset=dataset, final_label=""):
            ruling_create(actor=curator, item=item, label="urgent", reason="When in doubt, triage as urgent.")
        dataset_release(actor=curator, dataset=dataset)
        log.append("dataset clinic-triage (released, 2 annotators)")
    _seed_benchmark(log)


def _seed_benchmark(log: list[str]) -> None:
    maintainer = User.objects.get(username="demo-maintainer")
    notebook = Notebook.objects.filter(slug="onnx-runtime-optimisation", is_active=True).first()
    if notebook is None:
        log.append("benchmark skipped: run `manage.py sync_catalogue` first")
        return
    benchmark = Benchmark.objects.filter(slug="ort-latency-all").first()
    if benchmark is None:
        benchmark = benchmark_create(
            actor=maintainer,
            slug="ort-latency-all",
            title="ONNX Runtime latency, all optimisations",
            notebook=notebook,
            parameters={"epochs": 2, "n_runs": 100},
            metric_key="latency_ms_all",
            higher_is_better=False,
            queue="cpu",
        )
    if BenchmarkResult.objects.filter(benchmark=benchmark).exists():
        return
    rng = random.Random(7)
    start = timezone.now() - timedelta(days=30)
    toolchain = {"python": "3.11.9", "onnxruntime": "1.19.2", "torch": "2.4.1"}
    for day in range(14):
        value = 0.42 + rng.uniform(-0.015, 0.015)
        if day == 10:
            value, toolchain = 0.56, {**toolchain, "onnxruntime": "1.20.0"}  # a toolchain upgrade that slowed it down
        elif day > 10:
            toolchain = {**toolchain, "onnxruntime": "1.20.1"}
        benchmark_result_record(
            benchmark=benchmark, value=round(value, 4), metrics={"latency_ms_all": round(value, 4)},
            runner_host="runner-cpu@node-3",
            queue="cpu", cpus=16, memory_mb=65536, gpu_name="", toolchain=toolchain, recorded_at=start + timedelta(days=2 * day),
        )  # fmt: skip
    for day in range(6):
        value = 0.18 + rng.uniform(-0.01, 0.01)
        benchmark_result_record(
            benchmark=benchmark, value=round(value, 4), metrics={"latency_ms_all": round(value, 4)},
            runner_host="runner-gpu@gpu-1",
            queue="gpu", cpus=16, memory_mb=131072, gpu_name="NVIDIA H100 80GB HBM3", toolchain=toolchain,
            recorded_at=start + timedelta(days=4 * day + 1),
        )  # fmt: skip
    log.append("benchmark ort-latency-all (20 results, one regression)")
