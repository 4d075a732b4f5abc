#!/usr/bin/env bash
# The GPU-runner check, for a GPU machine with no network: installs the portal from wheels carried in
# .device/wheels (pip download … --python-version 3.12), uses the machine's own torch (with CUDA), starts
# a real Celery worker on notebooks-gpu with the embedded broker, and runs bench/gpu_runner_check.py.
# As on a real runner host, the runner shares nothing with the portal side but the database, the broker and the
# object storage: each has its own PORTAL_DATA_DIR, and the storage is S3 (the bucket named by
# AWS_STORAGE_BUCKET_NAME and the other AWS_* variables, or else moto's S3 server started here on localhost).
#
# Two steps:
#   1. here, with network:      bench/gpu_runner_check.sh prepare   (fills .device/wheels for Python 3.12)
#   2. on the GPU machine:      bench/gpu_runner_check.sh           (carry .device; results under $OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "prepare" ]; then
  mkdir -p .device/wheels
  PIP=(.venv/bin/pip download -q --python-version 3.12 --only-binary :all: --platform manylinux2014_x86_64
       --platform manylinux_2_28_x86_64 -d .device/wheels)
  # the portal (its torch is the machine's own), then what E1-E3 (methodology v2) need in the kernel beyond the
  # CUDA image (which has torch, onnx, onnxruntime, numpy, scipy, scikit-learn, pandas, matplotlib, psutil, rich)
  grep -v -i -E "^(torch|nvidia-)" requirements.txt > /tmp/gpu-requirements.txt
  "${PIP[@]}" -r /tmp/gpu-requirements.txt
  # moto's S3 server, for a check without a bucket of its own (pinned in requirements/test.txt)
  grep -i -E "^(moto|responses|xmltodict|py-partiql-parser|flask|flask-cors|blinker|itsdangerous|werkzeug)\b" \
    requirements/test.txt | sed 's/\[s3\]//' > /tmp/gpu-s3-requirements.txt
  "${PIP[@]}" --no-deps -r /tmp/gpu-s3-requirements.txt
  "${PIP[@]}" --no-deps adversarial-robustness-toolbox==1.20.1 codecarbon==3.3.2 arrow==1.4.0 pycountry==26.2.16 \
    questionary==2.1.1 prompt_toolkit==3.0.53 wcwidth==0.9.4 rapidfuzz==3.14.6 Authlib==1.9.10 joserfc==1.8.0
  .venv/bin/pip wheel -q --no-deps lime==0.2.0.1 -w .device/wheels  # lime is published as an sdist only
  ls .device/wheels | wc -l
  exit 0
fi
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
# What the portal side and the runner share: the database, the broker, the storage. Nothing else.
export DEBUG=1 NOTEBOOK_ADDRESS_SPACE_LIMIT=0 NOTEBOOK_KERNEL_PREIMPORTS=numpy,torch OUT
export DATABASE_URL=sqlite:////tmp/portal-shared/portal.sqlite3 CELERY_BROKER_DIR=/tmp/portal-shared/broker
mkdir -p /tmp/portal-shared /tmp/portal-web /tmp/portal-runner
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
if [ -z "${AWS_STORAGE_BUCKET_NAME:-}" ]; then
  S3_PORT=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  "$PY" -m moto.server -H 127.0.0.1 -p "$S3_PORT" > "$OUT/moto_server.log" 2>&1 &
  PIDS+=($!)
  export AWS_STORAGE_BUCKET_NAME=go3s-gpu-check AWS_ACCESS_KEY_ID=gpu-check AWS_SECRET_ACCESS_KEY=gpu-check-secret \
    AWS_S3_REGION_NAME=us-east-1 AWS_S3_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
  for _ in $(seq 50); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $S3_PORT), 1)" 2>/dev/null && break; sleep 0.2; done
  "$PY" -c "import boto3, os; boto3.client('s3', endpoint_url=os.environ['AWS_S3_ENDPOINT_URL'], region_name='us-east-1').create_bucket(Bucket='go3s-gpu-check')"
fi
echo "storage: bucket $AWS_STORAGE_BUCKET_NAME at ${AWS_S3_ENDPOINT_URL:-AWS}" | tee "$OUT/storage.txt"
PORTAL_DATA_DIR=/tmp/portal-web "$PY" manage.py migrate -v 0
PORTAL_DATA_DIR=/tmp/portal-web "$PY" manage.py sync_catalogue 2>/dev/null | tail -3
PORTAL_DATA_DIR=/tmp/portal-runner "$PY" -m celery -A portal worker -Q notebooks-gpu --pool=solo \
  --hostname "runner-gpu@%h" --loglevel INFO > "$OUT/worker.log" 2>&1 &
PIDS+=($!)
export PORTAL_DATA_DIR=/tmp/portal-web
"$PY" bench/gpu_runner_check.py 2>&1 | grep -v "papermill.translators" | tee "$OUT/check.txt"
echo "runner's data directory after the checks (no media, no packages, no scratch runs):" | tee -a "$OUT/check.txt"
find /tmp/portal-runner -maxdepth 2 -not -path "*/.kernels*" | sort | tee -a "$OUT/check.txt"
