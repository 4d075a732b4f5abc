"""Reading a catalogue notebook: its portal metadata, its typed parameters and its content hash.

Used by the catalogue sync (files of the repository) and by the check endpoint (a contributor's upload).
Every problem is collected and reported together; nothing here executes the notebook.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from typing import Any

import nbformat
from papermill.inspection import _infer_parameters
from papermill.iorw import load_notebook_node

from notebooks.metrics import spec_problems as metric_spec_problems
from notebooks.parameters import spec_from_inspection, string_kind_problems

REQUIRED_KEYS = ("slug", "title", "summary", "level", "kind", "resources", "licence")
LEVELS = ("beginner", "intermediate", "advanced")
KINDS = ("course", "evaluation")
ACCELERATORS = ("cpu", "gpu")


class NotebookInvalid(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CatalogueEntry:
    slug: str
    title_en: str
    title_zh: str
    summary_en: str
    summary_zh: str
    level: str
    kind: str
    accelerator: str
    expected_minutes: int
    licence: str
    order: int
    tags: list[str]
    parameters: list[dict[str, Any]]
    smoke_parameters: dict[str, Any]
    sha256: str
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _localised(value: Any, key: str, problems: list[str]) -> tuple[str, str]:
    if isinstance(value, str):
        return value, value
    if isinstance(value, dict) and isinstance(value.get("en"), str) and isinstance(value.get("zh-hans"), str):
        return value["en"], value["zh-hans"]
    problems.append(f"metadata.portal.{key} must be text or {{'en': …, 'zh-hans': …}}")
    return "", ""


def node_from_bytes(data: bytes) -> Any:
    """A notebook node prepared the way papermill prepares the ones it executes (tags on every cell …)."""
    with tempfile.NamedTemporaryFile(suffix=".ipynb") as handle:
        handle.write(data)
        handle.flush()
        return load_notebook_node(handle.name)


def read_notebook(raw: bytes | str) -> CatalogueEntry:
    """Parses and checks one notebook document. Raises NotebookInvalid listing every problem found."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookInvalid([f"not a JSON document: {error}"]) from None
    except RecursionError:  # the C decoder gives up on arrays or objects nested about a thousand deep
        raise NotebookInvalid(["not a notebook: its JSON is nested too deeply to read"]) from None
    if not isinstance(document, dict) or document.get("nbformat") != 4:
        raise NotebookInvalid(
            [f"not an nbformat 4 notebook (nbformat is {document.get('nbformat') if isinstance(document, dict) else 'missing'})"]
        )
    try:
        nbformat.validate(nbformat.reads(data.decode(), as_version=4))
        nb = node_from_bytes(data)
    except Exception as error:  # noqa: BLE001 — nbformat raises several unrelated types for bad documents
        raise NotebookInvalid([f"not a valid nbformat 4 notebook: {str(error).splitlines()[0][:300]}"]) from None

    problems: list[str] = []
    portal = nb.metadata.get("portal")
    if not isinstance(portal, dict):
        raise NotebookInvalid(["metadata.portal is missing: see catalogue/README.md"])
    for key in REQUIRED_KEYS:
        if key not in portal:
            problems.append(f"metadata.portal.{key} is missing")
    title_en, title_zh = _localised(portal.get("title", ""), "title", problems)
    summary_en, summary_zh = _localised(portal.get("summary", ""), "summary", problems)
    if portal.get("level") not in LEVELS:
        problems.append(f"metadata.portal.level must be one of {', '.join(LEVELS)}")
    if portal.get("kind") not in KINDS:
        problems.append(f"metadata.portal.kind must be one of {', '.join(KINDS)}")
    resources: dict[str, Any] = portal["resources"] if isinstance(portal.get("resources"), dict) else {}
    accelerator = resources.get("accelerator", "cpu")
    if accelerator not in ACCELERATORS:
        problems.append("metadata.portal.resources.accelerator must be cpu or gpu")
    minutes = resources.get("expected_minutes", 3)
    if not isinstance(minutes, int) or not 0 < minutes <= 600:
        problems.append("metadata.portal.resources.expected_minutes must be a whole number of minutes (1–600)")
        minutes = 3
    if not isinstance(portal.get("deterministic", False), bool):
        problems.append("metadata.portal.deterministic must be true or false")
    slug = portal.get("slug", "")
    if not isinstance(slug, str) or not slug or not all(c.isalnum() or c == "-" for c in slug) or len(slug) > 100:
        problems.append("metadata.portal.slug must be lowercase letters, digits and hyphens")

    tagged = [index for index, cell in enumerate(nb.cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        problems.append(f"exactly one cell must be tagged 'parameters' (found {len(tagged)})")
    elif nb.cells[tagged[0]].cell_type != "code":
        problems.append("the 'parameters' cell must be a code cell")
    declared = portal.get("parameters", {}) if isinstance(portal.get("parameters"), dict) else {}
    specs = [
        spec_from_inspection(p.name, p.inferred_type_name, p.default, p.help, declared.get(p.name, {}))
        for p in (_infer_parameters(nb) if len(tagged) == 1 else [])
    ]
    if "metrics" in portal:
        problems.extend(metric_spec_problems(portal["metrics"]))
    names = {spec["name"] for spec in specs}
    problems.extend(string_kind_problems(specs, declared))
    for name in declared:
        if name not in names:
            problems.append(f"metadata.portal.parameters declares {name!r}, which the parameters cell does not define")
    if problems:
        raise NotebookInvalid(problems)

    return CatalogueEntry(
        slug=slug,
        title_en=title_en,
        title_zh=title_zh,
        summary_en=summary_en,
        summary_zh=summary_zh,
        level=portal["level"],
        kind=portal["kind"],
        accelerator=accelerator,
        expected_minutes=minutes,
        licence=str(portal.get("licence", "")),
        order=int(portal.get("order", 0)) if isinstance(portal.get("order", 0), int) else 0,
        tags=[str(tag) for tag in portal.get("tags", []) if isinstance(tag, str)],
        parameters=specs,
        smoke_parameters=portal.get("smoke_parameters", {}) if isinstance(portal.get("smoke_parameters"), dict) else {},
        sha256=hashlib.sha256(data).hexdigest(),
        source=data.decode(),
        metadata=dict(portal),
    )
