"""Notebook → HTML, once per run, with one exporter per process (a fresh one per call costs ~6×).

The HTML is hostile content: nbconvert sanitises it (`sanitize_html`), MathJax and require.js are not
referenced (nothing is loaded from the internet), and the portal serves it in a sandboxed frame under a
CSP that allows no script at all (see `notebooks.views.run_output_html`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter

_exporter: HTMLExporter | None = None
_lock = threading.Lock()


def _get_exporter() -> HTMLExporter:
    global _exporter
    if _exporter is None:
        templates = Path(__file__).resolve().parent / "nbconvert_templates"
        exporter = HTMLExporter(template_name="portal", extra_template_basedirs=[str(templates)])
        exporter.sanitize_html = True
        exporter.embed_images = True
        exporter.exclude_input_prompt = False
        # No scripts from anywhere: the page is shown with scripts disabled.
        exporter.mathjax_url = ""
        exporter.require_js_url = ""
        if hasattr(exporter, "enable_mathjax"):
            exporter.enable_mathjax = False
        _exporter = exporter
    return _exporter


def render_html(nb: Any) -> str:
    with _lock:
        body, _resources = _get_exporter().from_notebook_node(nb)
    return str(body)
