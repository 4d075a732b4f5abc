"""Reading an upload of dataset items and annotations: CSV or JSON Lines, validated whole before anything is stored.

CSV: a header with `id`, `text`, `annotator`, `label`; one row per annotation (the text may be repeated or
given on the item's first row only; a row with empty annotator and label adds an item without labels).

JSON Lines: one object per item, `{"id": "17", "text": "…", "annotations": {"annotator-a": "label", …}}`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from accounts.errors import ApplicationError

FORMATS = ("csv", "jsonl")
MAX_NAME = 100
MAX_PROBLEMS = 20


@dataclass
class UploadedItem:
    key: str
    text: str
    annotations: dict[str, str] = field(default_factory=dict)


def format_of(filename: str, declared: str = "") -> str:
    """The upload's format from an explicit choice or the file name's extension."""
    if declared:
        if declared not in FORMATS:
            raise ApplicationError("Unknown upload format.", fields={"format": ["Must be csv or jsonl."]})
        return declared
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ApplicationError(
        "Say whether the upload is CSV or JSON Lines.", fields={"format": ["Name the file .csv or .jsonl, or give format."]}
    )


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: int, message: str) -> None:
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(f"line {line}: {message}")


def _name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        return None
    return value.strip()


def _add(items: dict[str, UploadedItem], problems: _Problems, line: int, row: dict[str, Any], max_chars: int) -> None:
    key = _name(row.get("id"))
    if key is None:
        problems.add(line, f"`id` must be text of 1 to {MAX_NAME} characters")
        return
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        problems.add(line, "`text` must be text")
        return
    text = text or ""
    if len(text) > max_chars:
        problems.add(line, f"`text` is longer than {max_chars} characters")
        return
    item = items.get(key)
    if item is None:
        item = items[key] = UploadedItem(key=key, text=text)
    elif text and item.text and text != item.text:
        problems.add(line, f"item {key!r} has two different texts")
        return
    elif text:
        item.text = text
    for annotator, label in row.get("annotations", {}).items():
        if _name(annotator) is None or _name(label) is None:
            problems.add(line, f"annotator and label must be text of 1 to {MAX_NAME} characters")
            continue
        if annotator.strip() in item.annotations:
            problems.add(line, f"{annotator.strip()!r} labels item {key!r} twice")
            continue
        item.annotations[annotator.strip()] = label.strip()


def parse_upload(raw: bytes, *, fmt: str, max_items: int, max_chars: int) -> list[UploadedItem]:
    """The items of the upload, or ApplicationError naming the field `file` and the lines at fault."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError("The upload is not UTF-8 text.", fields={"file": ["Save the file as UTF-8."]}) from None
    items: dict[str, UploadedItem] = {}
    problems = _Problems()
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content))
        missing = {"id", "text", "annotator", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ApplicationError(
                "The CSV header lacks columns.", fields={"file": ["Missing columns: " + ", ".join(sorted(missing)) + "."]}
            )
        try:
            for row in reader:
                annotator, label = (row.get("annotator") or "").strip(), (row.get("label") or "").strip()
                if bool(annotator) != bool(label):
                    problems.add(reader.line_num, "give both annotator and label, or neither")
                    continue
                row_data: dict[str, Any] = {"id": row.get("id"), "text": row.get("text") or ""}
                row_data["annotations"] = {annotator: label} if annotator else {}
                _add(items, problems, reader.line_num, row_data, max_chars)
        except csv.Error as error:
            problems.add(reader.line_num, f"not valid CSV ({error})")
    else:
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                problems.add(number, "not valid JSON")
                continue
            if not isinstance(row, dict) or not isinstance(row.get("annotations", {}), dict):
                problems.add(number, "each line must be an object with id, text and an annotations object")
                continue
            if isinstance(row.get("id"), int) and not isinstance(row.get("id"), bool):
                row["id"] = str(row["id"])
            if not isinstance(row.get("text"), str) or not row["text"]:
                problems.add(number, "`text` must be non-empty text")
                continue
            if _name(row.get("id")) in items:
                problems.add(number, f"item {row.get('id')!r} appears twice")
                continue
            _add(items, problems, number, row, max_chars)
    for item in items.values():
        if not item.text.strip():
            problems.add(0, f"item {item.key!r} has no text")
    if problems.lines:
        raise ApplicationError(
            "The upload has errors; nothing was imported.", code="invalid_upload", fields={"file": problems.lines}
        )
    if not items:
        raise ApplicationError("The upload holds no items.", code="invalid_upload", fields={"file": ["No items found."]})
    if len(items) > max_items:
        raise ApplicationError(
            "Too many items in one upload.", code="invalid_upload", fields={"file": [f"At most {max_items} items per upload."]}
        )
    return list(items.values())
