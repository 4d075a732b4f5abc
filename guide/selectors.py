"""Reads of the guide. A chapter's HTML is rendered once per (source, claims, language) and cached; any
change to the chapter's Markdown or to one of its claims gives a new cache key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import get_language

from accounts.errors import NotFound
from guide.editorial import LinkNote, place_markers, replace_markers
from guide.markdown import Heading, render
from guide.models import Chapter, Claim
from guide.services import CLAIM_FIELDS

RENDERER_VERSION = "3"


def chapter_list() -> QuerySet[Chapter]:
    return Chapter.objects.filter(is_guide=True).only("slug", "number", "title")


def chapter_get(slug: str) -> Chapter:
    chapter = Chapter.objects.filter(slug=slug).first()
    if chapter is None:
        raise NotFound("No such chapter.")
    return chapter


def claims_of(chapter: Chapter) -> list[Claim]:
    return list(Claim.objects.filter(section__chapter=chapter).select_related("section"))


@dataclass
class RenderedChapter:
    html: str
    toc: list[dict[str, Any]]
    claim_counts: dict[str, int]


def chapter_rendered(chapter: Chapter, links: tuple[LinkNote, ...] = ()) -> RenderedChapter:
    """The chapter's HTML with claim badges (and `links` placed after their quotes), cached."""
    claims = claims_of(chapter)
    fingerprint = json.dumps(
        [
            chapter.source_sha256,
            RENDERER_VERSION,
            get_language(),
            [(note.key, note.anchor, note.quote, note.url, note.label) for note in links],
            [[c.key, c.section.anchor, *(str(getattr(c, name)) for name in CLAIM_FIELDS)] for c in claims],
        ],
        ensure_ascii=False,
    )
    key = f"guide:{chapter.slug}:{hashlib.sha256(fingerprint.encode()).hexdigest()}"
    cached = cache.get(key)
    if cached is None:
        rendered = render(place_markers(chapter.source, [*claims, *links]))
        toc = [
            {"anchor": h.anchor, "text": h.text, "level": h.level}
            for h in rendered.headings
            if h.level == 2 and isinstance(h, Heading)
        ]
        counts: dict[str, int] = {}
        for claim in claims:
            counts[claim.status] = counts.get(claim.status, 0) + 1
        cached = {"html": replace_markers(rendered.html, claims, links), "toc": toc, "counts": counts}
        cache.set(key, cached, timeout=None)
    return RenderedChapter(html=cached["html"], toc=cached["toc"], claim_counts=cached["counts"])


def neighbours(chapter: Chapter) -> tuple[Chapter | None, Chapter | None]:
    chapters = list(chapter_list())
    slugs = [c.slug for c in chapters]
    if chapter.slug not in slugs:
        return None, None
    index = slugs.index(chapter.slug)
    return (chapters[index - 1] if index > 0 else None, chapters[index + 1] if index + 1 < len(chapters) else None)
