"""What the sandbox costs a kernel start: kernels started (and pre-importing numpy, like a runner's pool)
alternately with and without bubblewrap; prints each start and the medians.

    .venv/bin/python bench/kernel_start.py [starts per kind, default 8]

The pool starts kernels ahead of the runs, so this is time a runner spends between runs, not time a
run waits for — unless runs arrive faster than the pool refills.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from notebooks.engine.kernels import KernelPool  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    settings.NOTEBOOK_SCRATCH_DIR = Path(tempfile.mkdtemp(prefix="kernel-start-"))
    settings.NOTEBOOK_ALLOW_UNSANDBOXED = True
    pool = KernelPool(kernel_name=settings.NOTEBOOK_KERNEL_NAME, size=0, preimports=["numpy"])
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(count):
            for sandboxed in (True, False):
                settings.NOTEBOOK_SANDBOX = sandboxed
                started = time.perf_counter()
                kernel = pool.run(pool._start(), timeout=180)
                times[sandboxed].append(time.perf_counter() - started)
                assert (kernel.sandbox is not None) == sandboxed, "bubblewrap is not usable here"
                pool.run(pool._shutdown(kernel), timeout=60)
    finally:
        pool.close()
    for sandboxed in (False, True):
        label = "bubblewrap" if sandboxed else "no sandbox"
        shown = " ".join(f"{value:.2f}" for value in times[sandboxed])
        print(f"{label:<11} median {statistics.median(times[sandboxed]):.2f} s  ({shown})")
    print(f"sandbox cost per kernel start: {statistics.median(times[True]) - statistics.median(times[False]):+.2f} s (median)")


if __name__ == "__main__":
    main()
