"""A cell-by-cell diff of a student's lab notebook against the assignment's version (sources only)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CellChange:
    kind: str  # "changed" | "added" | "removed"
    number: int  # 1-based position in the student's notebook ("removed": in the assignment's)
    cell_type: str
    lines: list[str]  # a unified diff of the cell's source


def _cells(source: str) -> list[tuple[str, str]]:
    cells = json.loads(source).get("cells") or []
    return [(cell.get("cell_type", "code"), _text(cell.get("source", ""))) for cell in cells if isinstance(cell, dict)]


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), "assignment", "submitted", lineterm="", n=2)
    return list(diff)[2:]  # without the two file-name lines


def cell_changes(original: str, edited: str) -> list[CellChange]:
    """What the student changed: cells aligned by their source, then each replaced cell diffed line by line."""
    before, after = _cells(original), _cells(edited)
    changes: list[CellChange] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(a1 - a0, b1 - b0) if tag == "replace" else 0
        for offset in range(paired):
            (kind, old), (_, new) = before[a0 + offset], after[b0 + offset]
            changes.append(CellChange("changed", b0 + offset + 1, kind, _lines(old, new)))
        for index in range(b0 + paired, b1):
            changes.append(CellChange("added", index + 1, after[index][0], _lines("", after[index][1])))
        for index in range(a0 + paired, a1):
            changes.append(CellChange("removed", index + 1, before[index][0], _lines(before[index][1], "")))
    return changes
