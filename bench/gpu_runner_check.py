"""Runs catalogue notebooks through a GPU runner (a real worker on `notebooks-gpu`) and prints what it saw.

Driven by bench/gpu_runner_check.sh on a GPU machine; also runnable anywhere a worker consumes the queue.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from accounts.models import Role, RoleGrant, User  # noqa: E402
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
    results = []
    for slug, queue, parameters in CHECKS:
        notebook = Notebook.objects.get(slug=slug)
        run = run_enqueue(actor=user, notebook=notebook, parameters=parameters, queue=queue, timeout_seconds=600)
        started = time.monotonic()
        while not Run.objects.get(pk=run.pk).is_terminal:
            time.sleep(0.5)
        run.refresh_from_db()
        wall = time.monotonic() - started
        result = {
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
