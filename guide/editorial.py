"""The editorial layer: each reviewed claim becomes a badge beside the text it concerns.

The quote of a claim is an exact substring of its section's Markdown. Before rendering, a marker is put
right after the quote (after the closing backtick if the quote ends inside a code span; after the closing
fence if it lies inside a code block, where a marker would be split by highlighting). After rendering,
each marker becomes a badge with the status, the evidence and the correction on hover, focus or tap;
claims on broken commands get a "does not run as shown" box with the working command beside the code.
Notes are in the reader's language (English where a claim has no Chinese text yet).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.utils.translation import gettext as _

from accounts.languages import reader_language
from guide.markdown import render_inline

MARKER = "\u27e6claim:{key}\u27e7"
MARKER_RE = re.compile("(<p>)?\u27e6claim:([a-z0-9-]+)\u27e7(</p>)?")


@dataclass(frozen=True)
class LinkNote:
    """A link placed after a quote, like a claim badge: e.g. a figure of the text → its live value."""

    key: str
    anchor: str
    quote: str
    url: str
    label: str
    section: Any = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", SimpleNamespace(anchor=self.anchor))


def _section_ranges(lines: list[str]) -> dict[str, tuple[int, int]]:
    """anchor → (first line, end line) of each heading's section (up to the next heading of any level ≤ 2)."""
    starts: list[tuple[str, int]] = []
    in_fence = False
    for number, line in enumerate(lines):
        if line.startswith("```"):
            in_fence = not in_fence
        match = re.match(r"^#{1,2}\s.*\{#([a-z0-9-]+)\}\s*$", line) if not in_fence else None
        if match:
            starts.append((match.group(1), number))
    ranges = {}
    for index, (anchor, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(lines)
        ranges[anchor] = (start, end)
    return ranges


def place_markers(source: str, claims: Iterable[Any]) -> str:
    """The source with a marker after each claim's quote. A quote that cannot be found is skipped."""
    lines = source.splitlines()
    ranges = _section_ranges(lines)
    after_fence: dict[int, list[str]] = {}
    for claim in claims:
        if claim.section.anchor not in ranges:
            continue
        start, end = ranges[claim.section.anchor]
        in_fence = False
        for number in range(start, end):
            line = lines[number]
            if line.startswith("```"):
                in_fence = not in_fence
                continue
            position = line.find(claim.quote)
            if position < 0:
                continue
            marker = MARKER.format(key=claim.key)
            if in_fence:
                closing = next((n for n in range(number + 1, end) if lines[n].startswith("```")), end - 1)
                after_fence.setdefault(closing, []).append(marker)
            else:
                cut = position + len(claim.quote)
                if line[:cut].count("`") % 2 == 1:  # the quote ends inside a code span
                    closing_tick = line.find("`", cut)
                    cut = closing_tick + 1 if closing_tick >= 0 else len(line)
                lines[number] = line[:cut] + marker + line[cut:]
            break
    output: list[str] = []
    for number, line in enumerate(lines):
        output.append(line)
        for marker in after_fence.get(number, []):
            output.extend(["", marker, ""])
    return "\n".join(output) + "\n"


def status_label(status: str) -> str:
    labels = {
        "verified": _("Verified"),
        "partly": _("Partly correct"),
        "incorrect": _("Incorrect"),
        "go3s-unverifiable": _("Go3s-only, unverifiable"),
        "benchmark-not-reproduced": _("Benchmark not reproduced"),
    }
    return labels.get(status, status)


def _localised(claim: Any, name: str, language: str) -> str:
    """A bilingual field rendered inline; marked `lang="en"` where a Chinese reader gets the English fallback."""
    text, text_language = claim.text_for(name, language)
    rendered = render_inline(text)
    return rendered if text_language == language else f'<span lang="{text_language}">{rendered}</span>'


def _note(claim: Any, language: str, with_fix: bool) -> str:
    summary = _localised(claim, "summary", language)
    parts = [f"<strong>{html.escape(status_label(claim.status))}</strong> {summary}"]
    evidence_label, correction_label = html.escape(_("Evidence")), html.escape(_("Correction"))
    parts.append(f'<span class="claim-row"><em>{evidence_label}:</em> {_localised(claim, "evidence", language)}</span>')
    if claim.correction_en or claim.correction_zh:
        correction = _localised(claim, "correction", language)
        parts.append(f'<span class="claim-row"><em>{correction_label}:</em> {correction}</span>')
    if with_fix and claim.fix_command:
        works_instead = html.escape(_("Works instead"))
        fix_note = _localised(claim, "fix_note", language) if claim.fix_note_en or claim.fix_note_zh else ""
        parts.append(
            f'<span class="claim-row claim-fix"><em>{works_instead}:</em> <code>{html.escape(claim.fix_command)}</code>'
            f" {fix_note}</span>"
        )
    version, version_language = claim.text_for("go_version_checked", language)
    version = html.escape(version) if version_language == language else f'<span lang="en">{html.escape(version)}</span>'
    checked = html.escape(_("Checked against %(version)s on %(date)s")) % {"version": version, "date": claim.checked_on}
    parts.append(f'<small class="claim-row">{checked} · <code>{html.escape(claim.key)}</code></small>')
    return " ".join(parts)


def badge(claim: Any, inline: bool = True) -> str:
    """The status badge and its note. Inline (a command in running text, with no box below a code block), a
    broken command also gets the "does not run as shown" tag, and its note the working command."""
    language = reader_language()
    broken = inline and claim.broken_command
    tag = f'<span class="claim-badge claim-broken">{html.escape(_("Does not run as shown"))}</span>' if broken else ""
    return (
        f'<span class="claim claim-{html.escape(claim.status)}" tabindex="0" data-claim="{html.escape(claim.key)}"'
        f' lang="{language}">'
        f'<span class="claim-badge">{html.escape(status_label(claim.status))}</span>{tag}'
        f'<span class="claim-note" role="tooltip">{_note(claim, language, with_fix=broken)}</span></span>'
    )


def block(claim: Any) -> str:
    """Below a code block: the badge, and for a broken command the warning with its fix and what the fix does."""
    language = reader_language()
    key, status = html.escape(claim.key), html.escape(claim.status)
    parts = [f'<div class="claim-block claim-{status}" data-claim="{key}" lang="{language}">']
    if claim.broken_command:
        warning, works_instead = html.escape(_("Does not run as shown")), html.escape(_("Works instead"))
        parts.append(f'<p class="broken"><strong>{warning}</strong> {badge(claim, inline=False)}</p>')
        if claim.fix_command:
            parts.append(
                f'<div class="fix"><span class="fix-label">{works_instead}</span>'
                f"<pre><code>{html.escape(claim.fix_command)}</code></pre>"
            )
            if claim.fix_note_en or claim.fix_note_zh:
                parts.append(f'<p class="fix-note">{_localised(claim, "fix_note", language)}</p>')
            parts.append("</div>")
        elif claim.correction_en or claim.correction_zh:
            no_fix = html.escape(_("No working form"))
            parts.append(
                f'<div class="fix"><span class="fix-label">{no_fix}</span>'
                f'<p class="fix-note">{_localised(claim, "correction", language)}</p></div>'
            )
    else:
        parts.append(f"<p>{badge(claim, inline=False)}</p>")
    parts.append("</div>")
    return "".join(parts)


def link_note(note: LinkNote) -> str:
    return f'<a class="live-link" href="{html.escape(note.url)}">{html.escape(note.label)} →</a>'


def replace_markers(rendered: str, claims: Iterable[Any], links: Iterable[LinkNote] = ()) -> str:
    by_key = {claim.key: claim for claim in claims}
    links_by_key = {note.key: note for note in links}

    def substitute(match: re.Match[str]) -> str:
        if match.group(2) in links_by_key:
            return (match.group(1) or "") + link_note(links_by_key[match.group(2)]) + (match.group(3) or "")
        claim = by_key.get(match.group(2))
        if claim is None:
            return ""
        if match.group(1) and match.group(3):  # a marker on its own line: after a code block
            return block(claim)
        return (match.group(1) or "") + badge(claim) + (match.group(3) or "")

    return MARKER_RE.sub(substitute, rendered)
