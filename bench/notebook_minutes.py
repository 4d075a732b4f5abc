"""How long each course notebook takes at its DEFAULT parameters, run as the portal runs it (papermill,
kernel `go3s-factory`, working directory `catalogue/course/`), one notebook at a time; prints the seconds,
the CPU seconds the kernel used (what a busy machine cannot inflate), the load average around each run, and
the whole minutes `metadata.portal.resources.expected_minutes` should at least declare.

    .venv/bin/python bench/notebook_minutes.py [NN ...]     # e.g. 01 04; all twelve when none is named

The figures depend on the machine and on what else it runs: on a shared runner, round up. The course tests
hold every smoke run to 3 x the declared minutes (tests/catalogue/engine.py, `assert_within_budget`).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import papermill

COURSE = Path(__file__).resolve().parents[1] / "catalogue" / "course"


def main() -> None:
    wanted = set(sys.argv[1:])
    notebooks = sorted(p for p in COURSE.glob("[0-9][0-9]-*.ipynb") if not wanted or p.name[:2] in wanted)
    print(f"{'notebook':<38} {'seconds':>8} {'cpu s':>7} {'load before':>12} {'load after':>11} {'declared':>9} {'at least':>9}")
    with tempfile.TemporaryDirectory(prefix="notebook-minutes-") as tmp:
        for path in notebooks:
            declared = json.loads(path.read_text(encoding="utf-8"))["metadata"]["portal"]["resources"]["expected_minutes"]
            load_before = os.getloadavg()[0]
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            papermill.execute_notebook(
                str(path), str(Path(tmp) / path.name), kernel_name="go3s-factory", cwd=str(COURSE), progress_bar=False
            )
            seconds = time.perf_counter() - start
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel is a child, reaped at shutdown
            cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
            print(
                f"{path.name:<38} {seconds:8.1f} {cpu:7.1f} {load_before:12.2f} {os.getloadavg()[0]:11.2f} "
                f"{declared:9d} {max(1, math.ceil(seconds / 60)):9d}",
                flush=True,
            )


if __name__ == "__main__":
    main()
