"""Markdown → HTML for the guide: markdown-it-py (CommonMark + tables), raw HTML off, Pygments for code,
Mermaid blocks left for the browser, heading anchors from `{#id}`, and the final HTML sanitised with nh3.

Raw HTML in the source is escaped, not interpreted, and markdown-it refuses `javascript:`-style links;
nh3 then keeps only the tags and attributes the guide uses, so an edit that slipped something through
the editorial layer still cannot run in a reader's browser.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

HEADING_ID = re.compile(r"^(#{1,6}\s.*?)\s*\{#([a-z0-9-]+)\}\s*$")
_FORMATTER = HtmlFormatter(nowrap=True)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "button", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "mark", "ol", "p", "pre", "section", "small", "span", "strong", "summary", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "role", "tabindex", "aria-label", "aria-hidden", "data-claim", "lang"},
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"style"},
    "th": {"style"},
}


def _highlight(code: str, language: str, _attrs: Any) -> str:
    if language == "mermaid":
        return ""  # rendered as a plain <pre class="mermaid"> by the fence rule below
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        return ""
    return str(highlight(code, lexer, _FORMATTER))


def _fence(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    language = token.info.strip().split()[0] if token.info.strip() else ""
    if language == "mermaid":
        return f'<pre class="mermaid" data-diagram>{html.escape(token.content)}</pre>\n'
    highlighted = _highlight(token.content, language, None) or html.escape(token.content)
    label = f'<span class="code-lang">{html.escape(language)}</span>' if language else ""
    css = f"highlight language-{html.escape(language or 'text')}"
    return f'<div class="code-block">{label}<pre class="{css}"><code>{highlighted}</code></pre></div>\n'


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    parser.add_render_rule("fence", _fence)
    return parser


PARSER = _parser()


@dataclass
class Heading:
    level: int
    text: str
    anchor: str | None


@dataclass
class Rendered:
    html: str
    headings: list[Heading] = field(default_factory=list)


def split_heading_ids(source: str) -> tuple[str, list[str | None]]:
    """The source without the `{#id}` suffixes, and the id of each heading in order (None where absent)."""
    lines, ids = [], []
    in_fence = False
    for line in source.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            match = HEADING_ID.match(line)
            if match:
                lines.append(match.group(1))
                ids.append(match.group(2))
                continue
            if re.match(r"^#{1,6}\s", line):
                ids.append(None)
        lines.append(line)
    return "\n".join(lines) + "\n", ids


def render(source: str) -> Rendered:
    stripped, ids = split_heading_ids(source)
    tokens = PARSER.parse(stripped)
    headings: list[Heading] = []
    position = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            anchor = ids[position] if position < len(ids) else None
            position += 1
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            # The heading's text as a reader sees it: code spans without their backticks.
            children = (inline.children or []) if inline else []
            text = "".join(child.content for child in children if child.type in {"text", "code_inline"})
            anchor = anchor or slugify(text) or None  # English headings without an explicit id get one
            if anchor:
                token.attrSet("id", anchor)
            headings.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
    body = PARSER.renderer.render(tokens, PARSER.options, {})
    return Rendered(html=sanitize(body), headings=headings)


def render_inline(text: str) -> str:
    return sanitize(PARSER.renderInline(text))


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(source: str) -> str:
    """Readable text of a Markdown section for search and snippets (markup removed, code kept)."""
    text = re.sub(r"\{#[a-z0-9-]+\}", "", source)
    text = re.sub(r"^```.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
    text = text.replace("`", "").replace("|", " ").replace("**", "")
    return re.sub(r"[ \t]+", " ", re.sub(r"\n{2,}", "\n", text)).strip()


def search_tokens(text: str) -> str:
    """Words (lowercased) and, for Chinese runs, every character bigram (single characters stay whole).

    Bigrams let a full-text index without a Chinese word segmenter find 调度器 (调度 度器) or 调度.
    """
    tokens: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+|[A-Za-z0-9_]+", text):
        if "\u3400" <= run[0] <= "\u9fff":
            tokens.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            tokens.append(run.lower())
    return " ".join(tokens)
