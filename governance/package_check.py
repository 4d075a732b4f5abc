"""An evaluation package's parse in a child process with its own memory and CPU limits.

The web process never parses an uploaded ONNX graph or inflates an `eval.npz` itself: `check_in_child`
writes the three parts to a private temporary folder and runs this module as a child Python with
RLIMIT_AS (GOVERNANCE_PACKAGE_CHECK_MEMORY_MB) and RLIMIT_CPU (GOVERNANCE_PACKAGE_CHECK_CPU_SECONDS). The
child answers one JSON line: the graph's sha256 and opset and the sample count, or the refusal it raised.
A child that runs out of memory or time is a 413 naming the limit; the web process's memory stays flat
whatever the upload holds.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

from accounts.errors import ApplicationError, TooLarge

# Settings the checks read, handed to the child (which configures Django's settings with these alone).
_LIMIT_SETTINGS = (
    "GOVERNANCE_ONNX_MAX_BYTES",
    "GOVERNANCE_EVAL_MAX_BYTES",
    "GOVERNANCE_EVAL_MAX_UNPACKED_BYTES",
    "GOVERNANCE_EVAL_MAX_SAMPLES",
    "GOVERNANCE_ARCHIVE_MAX_RATIO",
)
_ERRORS = {cls.__name__: cls for cls in (ApplicationError, TooLarge)}


def _limit_child(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def check_in_child(onnx_bytes: bytes, eval_bytes: bytes, metadata: dict[str, Any]) -> tuple[str, int, int]:
    """(sha256, opset, samples) of a valid package, checked in a limited child; raises its refusal here."""
    memory_mb = settings.GOVERNANCE_PACKAGE_CHECK_MEMORY_MB
    cpu_seconds = settings.GOVERNANCE_PACKAGE_CHECK_CPU_SECONDS
    with tempfile.TemporaryDirectory(prefix="package-check-") as folder:
        Path(folder, "model.onnx").write_bytes(onnx_bytes)
        Path(folder, "eval.npz").write_bytes(eval_bytes)
        request = {
            "folder": folder,
            "metadata": metadata,
            "settings": {name: getattr(settings, name) for name in _LIMIT_SETTINGS},
        }
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        completed = subprocess.run(
            [sys.executable, "-m", "governance.package_check"],
            input=json.dumps(request).encode(),
            capture_output=True,
            cwd=settings.BASE_DIR,
            env=environment,
            timeout=cpu_seconds * 2 + 30,
            preexec_fn=lambda: _limit_child(memory_mb * 1024 * 1024, cpu_seconds),
            check=False,
        )
    answer = _answer_of(completed.stdout)
    if answer is None:
        raise TooLarge(
            f"Checking this package needed more than the checker's limits ({memory_mb:,} MiB of memory, "
            f"{cpu_seconds:,} s of CPU); nothing was stored.",
            code="package_check_limit",
        )
    if "error" in answer:
        error = answer["error"]
        raise _ERRORS.get(error["class"], ApplicationError)(error["message"], code=error["code"], fields=error["fields"])
    return str(answer["sha256"]), int(answer["opset"]), int(answer["samples"])


def _answer_of(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and ({"error", "sha256"} & set(answer)) else None


def _child() -> None:
    request = json.loads(sys.stdin.read())
    settings.configure(**request["settings"])
    from governance.packages import check_eval_set, check_onnx

    folder = Path(request["folder"])
    try:
        sha256, opset = check_onnx((folder / "model.onnx").read_bytes(), request["metadata"])
        samples = check_eval_set((folder / "eval.npz").read_bytes(), request["metadata"])
        answer: dict[str, Any] = {"sha256": sha256, "opset": opset, "samples": samples}
    except ApplicationError as error:
        kind = "TooLarge" if isinstance(error, TooLarge) else "ApplicationError"
        answer = {"error": {"class": kind, "message": error.message, "code": error.code, "fields": error.fields}}
    except MemoryError:
        sys.exit(3)  # the parent names the limit
    print(json.dumps(answer))


if __name__ == "__main__":
    _child()
