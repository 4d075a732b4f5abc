"""Full-text search over the guide's sections, in Chinese and English.

Sections are indexed as words plus Chinese character bigrams (see `markdown.search_tokens`), so neither
database needs a Chinese segmenter: SQLite uses an FTS5 table (migration 0002), PostgreSQL its text
search with the 'simple' configuration. Snippets are cut from the section's plain text with the query's
words marked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection

from guide.markdown import search_tokens
from guide.models import Section

FTS_TABLE = "guide_section_fts"


def index_sections() -> None:
    """Rebuilds the SQLite FTS5 index (PostgreSQL searches the column directly)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608 — constant table name
        for pk, tokens in Section.objects.values_list("pk", "tokens"):
            cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (%s, %s)", [pk, tokens])  # noqa: S608


def _matching_ids(terms: list[str]) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            query = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ORDER BY rank", [query])  # noqa: S608
        else:
            cursor.execute(
                "SELECT id FROM guide_section WHERE to_tsvector('simple', tokens) @@ plainto_tsquery('simple', %s)"
                " ORDER BY ts_rank(to_tsvector('simple', tokens), plainto_tsquery('simple', %s)) DESC",
                [" ".join(terms), " ".join(terms)],
            )
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Hit:
    section: Section
    snippet: str


def _snippet(text: str, query: str, words: list[str], width: int = 80) -> str:
    lowered = text.lower()
    needles = [query.lower(), *[word.lower() for word in words]]
    position = next((lowered.find(needle) for needle in needles if needle and lowered.find(needle) >= 0), 0)
    start = max(0, position - width // 2)
    excerpt = text[start : start + width * 2]
    escaped = html.escape(excerpt)
    marks = sorted({needle for needle in needles if needle and len(needle) > 1}, key=len, reverse=True)
    if marks:
        pattern = re.compile("|".join(re.escape(html.escape(mark)) for mark in marks), re.IGNORECASE)
        escaped = pattern.sub(lambda match: f"<mark>{match.group(0)}</mark>", escaped)
    return ("…" if start else "") + escaped + ("…" if start + width * 2 < len(text) else "")


def search(query: str, limit: int = 30) -> list[Hit]:
    query = query.strip()[:200]
    terms = search_tokens(query).split()
    if not terms:
        return []
    ids = _matching_ids(terms)[:limit]
    sections = Section.objects.select_related("chapter").in_bulk(ids)
    words = re.findall(r"[\u3400-\u9fff]+|[A-Za-z0-9_]+", query)
    return [Hit(section=sections[pk], snippet=_snippet(sections[pk].text, query, words)) for pk in ids if pk in sections]
