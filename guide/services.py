"""Writes of the guide: importing the repaired edition and the claims, and editing a claim (admin)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from accounts.audit import audit_log_record, snapshot
from accounts.errors import ApplicationError
from accounts.models import User
from guide.markdown import plain_text, search_tokens
from guide.models import Chapter, Claim, Section
from guide.search import index_sections

CHAPTERS = [("ch1", 1, True), ("ch2", 2, True), ("ch3", 3, True), ("ch4", 4, True), ("about", 5, False)]
CLAIM_FIELDS = (
    "quote",
    "status",
    "summary_en",
    "summary_zh",
    "evidence_en",
    "evidence_zh",
    "correction_en",
    "correction_zh",
    "go_version_checked_en",
    "go_version_checked_zh",
    "checked_on",
    "broken_command",
    "fix_command",
    "fix_note_en",
    "fix_note_zh",
)
BILINGUAL_FIELDS = ("summary", "evidence", "correction", "fix_note", "go_version_checked")


@dataclass
class ImportReport:
    chapters: list[str] = field(default_factory=list)
    sections: int = 0
    claims: int = 0
    problems: list[str] = field(default_factory=list)


def _sections_of(source: str) -> list[tuple[str, str, str]]:
    """(anchor, title, markdown) of every `##` section (and the chapter head before the first one)."""
    result: list[tuple[str, str, str]] = []
    current: tuple[str, str] | None = None
    buffer: list[str] = []
    in_fence = False
    for line in source.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"^##\s+(.*?)\s*\{#([a-z0-9-]+)\}\s*$", line)
        if match:
            if current:
                result.append((current[0], current[1], "\n".join(buffer)))
            current, buffer = (match.group(2), match.group(1)), []
            continue
        buffer.append(line)
    if current:
        result.append((current[0], current[1], "\n".join(buffer)))
    return result


def quote_problem(claim: dict[str, Any] | Claim, sections: dict[str, str]) -> str | None:
    key = claim["id"] if isinstance(claim, dict) else claim.key
    anchor = claim["section"] if isinstance(claim, dict) else claim.section.anchor
    quote = claim["quote"] if isinstance(claim, dict) else claim.quote
    if anchor not in sections:
        return f"claim {key}: section {anchor} does not exist"
    if quote not in sections[anchor]:
        return f"claim {key}: its quote does not occur in section {anchor}"
    return None


@transaction.atomic
def guide_import(*, actor: User | None, root: Path | None = None) -> ImportReport:
    """Loads guide/content into the database (idempotent). Claims whose quote is not found are refused."""
    root = Path(root or settings.GUIDE_CONTENT_DIR)
    report = ImportReport()
    texts: dict[str, str] = {}
    for slug, number, is_guide in CHAPTERS:
        source = (root / "zh" / f"{slug}.md").read_text(encoding="utf-8")
        title = re.sub(r"\s*\{#[a-z0-9-]+\}\s*$", "", source.splitlines()[0].lstrip("# ").strip())
        chapter, _ = Chapter.objects.update_or_create(
            slug=slug,
            defaults={
                "number": number,
                "title": title,
                "source": source,
                "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
                "is_guide": is_guide,
            },
        )
        report.chapters.append(slug)
        for order, (anchor, section_title, markdown) in enumerate(_sections_of(source), start=1):
            text = plain_text(markdown)
            Section.objects.update_or_create(
                anchor=anchor,
                defaults={
                    "chapter": chapter,
                    "title": section_title,
                    "order": order,
                    "text": text,
                    "tokens": search_tokens(section_title + " " + text),
                },
            )
            texts[anchor] = markdown
            report.sections += 1
    records = yaml.safe_load((root / "claims.yaml").read_text(encoding="utf-8")) or []
    for record in records:
        problem = quote_problem(record, texts)
        if problem:
            report.problems.append(problem)
            continue
        values = {name: record.get(name, "") for name in CLAIM_FIELDS}
        values["broken_command"] = bool(record.get("broken_command"))
        values["section"] = Section.objects.get(anchor=record["section"])
        Claim.objects.update_or_create(key=record["id"], defaults=values)
        report.claims += 1
    index_sections()
    audit_log_record(
        actor=actor,
        action="guide.import",
        object_type="guide.chapter",
        after={"chapters": report.chapters, "sections": report.sections, "claims": report.claims, "problems": report.problems},
    )
    return report


def claim_update(*, actor: User, claim: Claim, changes: dict[str, Any]) -> Claim:
    """A maintainer's edit of a claim (from the admin): the quote must still occur; the edit is logged."""
    section = changes.get("section", claim.section)
    quote = changes.get("quote", claim.quote)
    if quote not in section.chapter.source:
        raise ApplicationError("The quote must be exact text of the chapter.", fields={"quote": ["Not found in the chapter."]})
    with transaction.atomic():
        before = snapshot(claim, ("section", *CLAIM_FIELDS))
        for name, value in changes.items():
            setattr(claim, name, value)
        claim.save()
        audit_log_record(
            actor=actor, action="claim.update", obj=claim, before=before, after=snapshot(claim, ("section", *CLAIM_FIELDS))
        )
    return claim
