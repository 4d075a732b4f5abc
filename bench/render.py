"""Rendering an executed notebook to the portal's HTML: once per run, with one exporter per process.

Executes catalogue notebooks once at smoke size with papermill in the go3s-factory kernel (so the
outputs are real: figures from the inline backend, pandas tables, tracebacks), then renders each with the
portal's exporter: the first call (exporter and templates built) and then repeated calls (what every run
after the first costs a runner). Prints the median and p95 per notebook, the HTML size and what it holds.

    .venv/bin/python bench/render.py                      # notebooks 10, 08, 11 (charts, tables, math)
    .venv/bin/python bench/render.py --only 10 --repeat 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def execute(path: Path, work: Path) -> nbformat.NotebookNode:
    import papermill

    portal = json.loads(path.read_text())["metadata"]["portal"]
    out = work / f"{path.stem}.out.ipynb"
    papermill.execute_notebook(
        str(path), str(out), parameters=portal.get("smoke_parameters", {}), kernel_name="go3s-factory",
        cwd=str(path.parent), progress_bar=False, log_output=False,
        # The kernel's inline backend, as the portal's runners start it.
        # (papermill passes the environment through; matplotlib reads MPLBACKEND)
    )  # fmt: skip
    return nbformat.read(out, as_version=4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="10,08,11", help="catalogue numbers, comma separated")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from bs4 import BeautifulSoup

    from notebooks.engine import rendering

    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    wanted = [number.zfill(2) for number in args.only.split(",")]
    paths = [path for path in sorted((ROOT / "catalogue" / "course").glob("*.ipynb")) if path.name[:2] in wanted]
    print(f"rendering with the portal's exporter, {args.repeat} repeats per notebook (after one first call)")
    print(
        f"{'notebook':38} {'cells':>5} {'images':>6} {'tables':>6} {'math':>5} {'KB':>6} {'first ms':>9} {'median ms':>9} {'p95 ms':>7}"
    )
    with tempfile.TemporaryDirectory() as work:
        for path in paths:
            nb = execute(path, Path(work))
            rendering._exporter = None  # the first call builds the exporter, as a runner's first run does
            start = time.perf_counter()
            html = rendering.render_html(nb)
            first = (time.perf_counter() - start) * 1000
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                rendering.render_html(nb)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            soup = BeautifulSoup(html, "html.parser")
            print(
                f"{path.stem:38} {len(nb.cells):>5} {len(soup.select('.jp-OutputArea-output img')):>6} "
                f"{len(soup.find_all('table')):>6} {len(soup.find_all('math')):>5} {len(html) // 1024:>6} "
                f"{first:>9.1f} {statistics.median(times):>9.1f} {times[int(0.95 * (len(times) - 1))]:>7.1f}"
            )


if __name__ == "__main__":
    main()
