"""User-written Markdown renders to HTML that cannot act, fast even on hostile input."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from accounts.user_markdown import render_user_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<details open ontoggle=alert(1)>",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    "<style>body{display:none}</style>",
    "<form action=//evil.example><button>go</button></form>",
    "```html\n<script>alert(1)</script>\n```",
    "<!--<script>alert(1)//-->",
    "[a](\tjavascript:alert(1))",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_keeps_no_active_content(text):
    soup = BeautifulSoup(render_user_markdown(text), "html.parser")

    assert not soup.find_all(["script", "img", "svg", "iframe", "style", "form", "math", "details", "button"])
    for tag in soup.find_all(True):
        assert not [name for name in tag.attrs if name.startswith("on")], tag
    for link in soup.find_all("a"):
        assert link["href"].split(":")[0].lower() in {"http", "https", "mailto"} or ":" not in link["href"], link
        assert "nofollow" in link["rel"]


def test_ordinary_markdown_is_kept():
    html = render_user_markdown(
        "# Card\n\n**bold** and `code`, [site](https://go3s.example), ![plot](https://x.example/p.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )

    soup = BeautifulSoup(html, "html.parser")
    assert soup.h1.text == "Card"
    assert soup.strong.text == "bold"
    assert soup.table.find_all("td")[1].text == "2"
    assert [a["href"] for a in soup.find_all("a")] == ["https://go3s.example", "https://x.example/p.png"]


MEGABYTE = [
    "[" * 1_000_000, "*a" * 500_000, "<script>" * 125_000, "[x](javascript:" * 66_000, "> " * 500_000, "`" * 1_000_000,
    "_a" * 500_000, "[a](" * 250_000, "- " * 500_000, "|" * 1_000_000,
]  # fmt: skip


@pytest.mark.parametrize("pattern", MEGABYTE, ids=lambda pattern: repr(pattern[:8]))
def test_a_megabyte_of_hostile_markdown_renders_without_active_content(pattern):
    # Its speed is measured by bench/user_markdown.py; here: it finishes and nothing in it can act.
    soup = BeautifulSoup(render_user_markdown(pattern), "html.parser")

    assert not soup.find_all(["script", "img", "svg", "iframe"])
    assert all(
        link["href"].split(":")[0] in {"http", "https", "mailto"} or ":" not in link["href"] for link in soup.find_all("a")
    )
