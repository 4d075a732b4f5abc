"""Small catalogue notebooks built for the tests (the real catalogue is tested by tests/catalogue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat


def notebook(
    slug: str,
    cells: list[str],
    *,
    parameters: str = 'device = "auto"  # auto, cpu or cuda\nsteps = 3  # how many steps\n',
    declared: dict[str, Any] | None = None,
    kind: str = "course",
    metrics: str | None = "from IPython.display import JSON, display\ndisplay(JSON({'steps': steps, 'ok': True}))",
    markdown: list[str] | None = None,
    title: Any = None,
) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "go3s-factory", "display_name": "Go3s factory", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["portal"] = {
        "slug": slug,
        "title": title or {"en": f"Test {slug}", "zh-hans": f"测试 {slug}"},
        "summary": {"en": "A notebook for the test suite.", "zh-hans": "测试用笔记本。"},
        "level": "beginner",
        "kind": kind,
        "resources": {"accelerator": "cpu", "expected_minutes": 1},
        "licence": "CC-BY-NC-SA-4.0",
        "order": 1,
        "tags": ["test"],
        "parameters": declared
        if declared is not None
        else {"steps": {"min": 1, "max": 10}, "device": {"choices": ["auto", "cpu", "cuda"]}},
        "smoke_parameters": {},
    }
    nb.cells.append(nbformat.v4.new_markdown_cell("# Test notebook"))
    for text in markdown or []:
        nb.cells.append(nbformat.v4.new_markdown_cell(text))
    parameters_cell = nbformat.v4.new_code_cell(parameters)
    parameters_cell.metadata["tags"] = ["parameters"]
    nb.cells.append(parameters_cell)
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in cells)
    if metrics is not None:
        metrics_cell = nbformat.v4.new_code_cell(metrics)
        metrics_cell.metadata["tags"] = ["metrics"]
        nb.cells.append(metrics_cell)
    return nb


def write_catalogue(root: Path, notebooks: list[nbformat.NotebookNode]) -> Path:
    for nb in notebooks:
        folder = root / nb.metadata["portal"]["kind"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{nb.metadata['portal']['slug']}.ipynb").write_text(nbformat.writes(nb))
    (root / "evaluation").mkdir(exist_ok=True)
    (root / "evaluation" / "METHODOLOGY.md").write_text("# Model health — methodology v1\n\n## Robustness\n\nFGSM, ε = 0.03.\n")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "numbers.json").write_text(json.dumps([1, 2, 3]))
    return root


SHORT = notebook("short", ["total = sum(range(steps))\nprint('total', total)"])
READS_DATA = notebook("reads-data", ["import json\nnumbers = json.load(open('../data/numbers.json'))\nprint(sum(numbers))"])
SLEEPS = notebook("sleeps", ["import time\nfor i in range(steps):\n    time.sleep(1)\n    print(i, flush=True)"])
LOOPS = notebook("loops", ["while True:\n    pass"])
FAILS = notebook("fails", ["x = 1", "raise ValueError('the data is wrong')", "print('never')"])
HOG = notebook("hog", ["import numpy as np\nblocks = []\nfor _ in range(64):\n    blocks.append(np.ones(64 * 1024 * 1024 // 8))"])
HUGE_ALLOC = notebook("huge-alloc", ["block = bytearray(64 * 1024 ** 3)"])
EXITS = notebook("exits", ["import os\nos._exit(3)"])
CHATTY = notebook("chatty", ["print('x' * 100_000_000)", "print('after')"])
SECRETS = notebook(
    "secrets",
    [
        "import os\nleaked = sorted(k for k in os.environ if any(s in k for s in ('SECRET', 'DATABASE', 'BROKER', 'CELERY', 'REDIS', 'DJANGO')))"
    ],
    metrics="from IPython.display import JSON, display\ndisplay(JSON({'leaked': leaked, 'home': os.environ.get('HOME', '')}))",
)
THREADS = notebook(
    "threads",
    ["import os\nthreads = os.environ.get('OMP_NUM_THREADS', '')"],
    metrics="from IPython.display import JSON, display\ndisplay(JSON({'omp_num_threads': threads}))",
)
HOSTILE = notebook(
    "hostile",
    [
        "from IPython.display import HTML, display, Javascript, SVG\n"
        'display(HTML(\'<script>window.top.document.title="pwned";parent.postMessage(document.cookie,"*")</script><img src=x onerror="window.top.location=\\\'/pwned\\\'">\'))\n'
        'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10" onload="alert(2)"/></svg>\'))\n'
        "display(Javascript('window.top.location = \"/pwned\"'))",
    ],
    markdown=['<img src=x onerror="alert(3)"> [link](javascript:alert(4)) <script>alert(5)</script>'],
    title={"en": "<script>alert(6)</script>", "zh-hans": "<img src=x onerror=alert(7)>"},
)
