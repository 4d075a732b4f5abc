#!/usr/bin/env bash
# The GPU-runner check, for a GPU machine with no network: installs the portal from wheels carried in
# .device/wheels (pip download … --python-version 3.12), uses the machine's own torch (with CUDA), starts
# a real Celery worker on notebooks-gpu with the embedded broker, and runs bench/gpu_runner_check.py.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu-check}"; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/nvidia-smi.txt"
# The machine's python3 is the environment that holds torch with CUDA: the portal goes into it.
PY="$(command -v python3)"
"$PY" -m pip install -q --no-index --no-deps .device/wheels/*.whl
"$PY" -m ipykernel install --sys-prefix --name go3s-factory > /dev/null
# The health-evaluation notebooks (E1-E3 v2) need these in the kernel environment besides torch with CUDA;
# carry their wheels in .device/wheels too (pip download --python-version 3.12 --only-binary :all:
# adversarial-robustness-toolbox==1.20.1 six lime codecarbon onnx onnxruntime-gpu ...). Stop early, naming what is missing.
"$PY" - <<'PYCHECK' | tee "$OUT/kernel-modules.txt"
import importlib, sys
missing = [m for m in ("torch", "onnx", "onnxruntime", "art", "lime", "codecarbon", "sklearn", "pandas", "matplotlib",
                       "threadpoolctl", "papermill") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"missing in the kernel environment: {', '.join(missing)}")
import onnxruntime, torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "| onnxruntime", onnxruntime.__version__,
      onnxruntime.get_available_providers())
PYCHECK
GPU_ORT=$("$PY" -c "import onnxruntime as o; print(int('CUDAExecutionProvider' in o.get_available_providers()))")
export GPU_ORT
export DEBUG=1 PORTAL_DATA_DIR=/tmp/portal-data NOTEBOOK_ADDRESS_SPACE_LIMIT=0 NOTEBOOK_KERNEL_PREIMPORTS=numpy,torch OUT
"$PY" manage.py migrate -v 0
"$PY" manage.py sync_catalogue 2>/dev/null | tail -3
"$PY" -m celery -A portal worker -Q notebooks-gpu --pool=solo --hostname "runner-gpu@%h" --loglevel INFO > "$OUT/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
"$PY" bench/gpu_runner_check.py 2>&1 | grep -v "papermill.translators" | tee "$OUT/check.txt"
