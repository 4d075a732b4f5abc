"""Building a material bundle: the notebooks at their pinned versions, the licence, attribution, README.

Pure (no database writes): `courses.services.bundle_download` records the download.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from django.utils import timezone

LICENCE_PATH = Path(__file__).resolve().parent / "bundle" / "LICENSE"
LICENCE_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
# Fixed timestamps inside the zip: the same notebooks always give the same bytes.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def licence_text() -> str:
    return LICENCE_PATH.read_text(encoding="utf-8")


def attribution(items: list[tuple[Any, Any]]) -> str:
    lines = [
        "# Attribution",
        "",
        "These notebooks are course materials of the Go3s community's zero-threshold model factory.",
        "",
        "Go3s Community Portal contributors, licensed under CC BY-NC-SA 4.0 (" + LICENCE_URL + ").",
        'If you share them or material adapted from them: credit "Go3s Community", link the licence, say what',
        "you changed, share adaptations under the same licence, and do not use them commercially.",
        "",
        "| notebook | title | version (SHA-256 of the file) |",
        "|---|---|---|",
    ]
    for notebook, version in items:
        lines.append(f"| {notebook.slug}.ipynb | {notebook.title_en} / {notebook.title_zh} | {version.sha256} |")
    lines.append("")
    return "\n".join(lines)


def readme(name: str, items: list[tuple[Any, Any]], course: Any = None) -> str:
    lines = [f"# {name}", ""]
    if course is not None:
        lines += [
            f"Course: {course.code} {course.title} ({course.term}) — {course.institution.name_en} / {course.institution.name_zh}",
            "",
        ]
    lines += [
        f"Downloaded {timezone.now():%Y-%m-%d}. Contents:",
        "",
        *[f"- `notebooks/{notebook.slug}.ipynb` — {notebook.title_en} ({notebook.title_zh})" for notebook, _ in items],
        "- `LICENSE` — Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International, the full legal code",
        "- `ATTRIBUTION.md` — how to credit the materials, and the exact version of each notebook",
        "",
        "Open the notebooks in Jupyter; each has a cell tagged `parameters` whose values you may change.",
        "",
    ]
    return "\n".join(lines)


def _add(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def build_zip(name: str, items: list[tuple[Any, Any]], *, course: Any = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, f"{name}/README.md", readme(name, items, course))
        _add(archive, f"{name}/LICENSE", licence_text())
        _add(archive, f"{name}/ATTRIBUTION.md", attribution(items))
        for notebook, version in items:
            _add(archive, f"{name}/notebooks/{notebook.slug}.ipynb", version.source)
    return buffer.getvalue()
