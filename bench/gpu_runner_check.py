"""Runs catalogue notebooks through a GPU runner (a real worker on `notebooks-gpu`) and prints what it saw.

Driven by bench/gpu_runner_check.sh on a GPU machine; also runnable anywhere a worker consumes the queue.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402

from accounts.models import Role, RoleGrant, User  # noqa: E402
from governance.models import CommunityModel  # noqa: E402
from governance.packages import read_package  # noqa: E402
from governance.services.health import evaluations_start  # noqa: E402
from governance.services.registry import model_create  # noqa: E402
from notebooks.models import Notebook, Run, Runner  # noqa: E402
from notebooks.services import run_enqueue  # noqa: E402

# The same notebook and size on the GPU and on the same machine's CPUs, through the same runner.
CHECKS = [
    ("ct-nodule-segmentation", "gpu", {"device": "cuda", "volume_size": 64}),
    ("ct-nodule-segmentation", "gpu", {"device": "cpu", "volume_size": 64}),
]
# Health methodology v2 (E1-E3) at its full constants on the example packages: E1 computes its gradients with
# torch on CUDA; E2 and E3 run the model with onnxruntime's CUDA provider when the kernel environment has
# onnxruntime-gpu (E3 is then measured with NVML through codecarbon), else on the CPU with `device=auto`.
GPU_ORT = os.environ.get("GPU_ORT", "0") == "1"  # set by gpu_runner_check.sh: the kernel's onnxruntime has CUDA
ORT_DEVICE = "cuda" if GPU_ORT else "auto"
CHECKS += [
    ("e1-robustness-v2", "gpu", {"device": "cuda", "package_path": "../models/digits-transformer"}),
    ("e1-robustness-v2", "gpu", {"device": "cpu", "package_path": "../models/digits-transformer"}),
    ("e1-robustness-v2", "gpu", {"device": "cuda", "package_path": "../models/digits-cnn-course09"}),
    ("e2-explainability-v2", "gpu", {"device": ORT_DEVICE, "package_path": "../models/digits-robust"}),
    ("e3-energy-v2", "gpu", {"device": ORT_DEVICE, "package_path": "../models/digits-transformer"}),
    ("e3-energy-v2", "gpu", {"device": "cpu", "package_path": "../models/digits-transformer"}),
]
if os.environ.get("ONLY_HEALTH") == "1":  # the E1-E3 checks alone (the CT notebook was checked before)
    CHECKS = [check for check in CHECKS if check[0].startswith("e")]
if os.environ.get("ONLY_STORAGE") == "1":  # the registered model's evaluation alone
    CHECKS = []
# And a steward's evaluation of a registered model, as the portal starts it: the runner reads the model's package
# from the storage (copied into the run's scratch directory), not from a catalogue folder (STORAGE_CHECK=0: skip).
STORAGE_CHECK = os.environ.get("STORAGE_CHECK", "1") == "1"


def _registered_runs(user: User) -> list[tuple[Run, dict[str, object]]]:
    """Registers the digits-robust example through the registry (its package goes to the storage) and starts its
    evaluation (three runs, on the GPU queue while a GPU runner is online)."""
    RoleGrant.objects.get_or_create(user=user, role=Role.STEWARD, revoked_at=None)
    package_dir = ROOT / "catalogue" / "models" / "digits-robust"
    model = CommunityModel.objects.filter(slug="gpu-check-robust").first()
    if model is None:
        model = model_create(
            actor=user, slug="gpu-check-robust", name="GPU check", summary="", version="1.0.0", licence="Apache-2.0",
            model_card="", package=read_package(
                onnx_bytes=(package_dir / "model.onnx").read_bytes(), eval_bytes=(package_dir / "eval.npz").read_bytes(),
                metadata=(package_dir / "metadata.json").read_text(),
            ),
        )  # fmt: skip
    version = model.current_version
    assert version is not None
    print(f"package in the storage: {version.onnx_file.name} ({default_storage.size(version.onnx_file.name)} bytes)")
    return [(item.run, {"evaluation": item.dimension}) for item in evaluations_start(actor=user, version=version)]


def _wait(run: Run) -> float:
    started = time.monotonic()
    while not Run.objects.get(pk=run.pk).is_terminal:
        time.sleep(0.5)
    run.refresh_from_db()
    return time.monotonic() - started


def main() -> None:
    out = Path(os.environ.get("OUT", "/tmp"))
    user, _ = User.objects.get_or_create(username="gpu-check")
    RoleGrant.objects.get_or_create(user=user, role=Role.TOOLCHAIN_MAINTAINER, revoked_at=None)
    deadline = time.monotonic() + 60
    while not any("notebooks-gpu" in runner.queues for runner in Runner.objects.all()) and time.monotonic() < deadline:
        time.sleep(1)
    for runner in Runner.objects.all():
        print(
            f"runner {runner.hostname}: queues={runner.queues} gpu={runner.gpu_name!r} ({runner.gpu_memory_mb} MB) toolchain={runner.toolchain}"
        )
    print(f"storage: {settings.STORAGES['default']['BACKEND']}")
    results = []

    def runs() -> Iterator[tuple[Run, dict[str, object]]]:
        for slug, queue, parameters in CHECKS:  # one at a time: the wall time is the run's own
            notebook = Notebook.objects.get(slug=slug)
            yield run_enqueue(actor=user, notebook=notebook, parameters=parameters, queue=queue, timeout_seconds=600), {}
        if STORAGE_CHECK:
            yield from _registered_runs(user)  # queued together, as the steward's one action queues them

    for run, extra in runs():
        slug, queue, parameters = run.notebook.slug, run.queue, run.parameters
        wall = _wait(run)
        stored = bool(run.output_html) and default_storage.exists(run.output_html.name)
        result = {**extra, "output_in_storage": stored,
            "notebook": slug, "queue": queue, "parameters": run.parameters, "status": run.status, "error": run.error,
            "runner": run.runner_host, "gpu_name": run.gpu_name, "wall_seconds": round(wall, 1),
            "run_seconds": round(run.elapsed_seconds or 0, 1), "metrics": run.metrics,
        }  # fmt: skip
        results.append(result)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if run.output_html:
            (out / f"run-{run.pk}-{parameters.get('device', 'auto')}.html").write_bytes(run.output_html.read())
    (out / "gpu-check.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print("\nsummary (notebook, device asked, status, device used, value, passes, backend):")
    for result in results:
        metrics = result["metrics"] or {}
        print(
            f"  {result['notebook']:24} {result['parameters'].get('device', ''):5} {result['status']:10} "
            f"{metrics.get('device', '')!s:22} {metrics.get('value', '')!s:12} {metrics.get('passes', '')!s:6} "
            f"{metrics.get('backend', '')} {metrics.get('gpu_name') or metrics.get('gpu_model') or ''} {result['error'][:120]}"
        )


if __name__ == "__main__":
    main()
