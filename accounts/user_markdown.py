"""Markdown that people write (model cards, findings, comments, descriptions), rendered so it can't act.

cmark-gfm (C, linear time, built to resist pathological input) parses; raw HTML in the text is omitted
by it, images become plain links (no tracking pixels, no data: payloads), and nh3 then keeps a short list
of tags and only http(s)/mailto/relative link targets, so `javascript:`, `vbscript:` and `data:` vanish.
Text nested deeper than any document needs (thousands of `>`) is shown as plain text instead: the HTML
sanitiser's tree building is what would turn that input slow. tests/accounts/test_user_markdown.py
holds the hostile corpus; bench/user_markdown.py times a megabyte of it.
"""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
MAX_DEPTH = 48
_IMAGE = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? />')
_TAG = re.compile(r"<(/?)(blockquote|ul|ol|li|table|thead|tbody|tr|td|th|p|em|strong|del|a|code|pre|h[1-6])\b")


def _too_deep(fragment: str) -> bool:
    depth = 0
    for match in _TAG.finditer(fragment):
        depth += -1 if match.group(1) else 1
        if depth > MAX_DEPTH:
            return True
    return False


def render_user_markdown(text: str) -> str:
    """Safe HTML for a user's Markdown text."""
    if not text:
        return ""
    rendered = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_VALIDATE_UTF8)
    rendered = _IMAGE.sub(r'<a href="\1">\2</a>', rendered)
    if _too_deep(rendered):
        return f'<pre class="as-text">{html.escape(text)}</pre>'
    return str(
        nh3.clean(
            rendered,
            tags=TAGS,
            attributes=ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow ugc",
            strip_comments=True,
        )
    )
