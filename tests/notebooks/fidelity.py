"""Does the stored HTML show what the executed notebook holds? Counted from the notebook, found in the HTML.

`fidelity_report(nb, html)` counts, in the executed notebook, Markdown headings, tables (Markdown pipe tables
and HTML tables in outputs), images (outputs whose displayed type is image/*), math expressions (Markdown
`$…$`, `$$…$$`, `\\begin{…}` and text/latex outputs) and error outputs, and finds the same things in the
rendered document: `<h1>`–`<h6>` in Markdown cells, `<table>`, `<img src="data:image/…">` with a payload,
`<math>`, and error blocks. `assert_rendered_like_notebook` fails on any difference, and on markup that
arrived as visible text (an escaped `<h2>` or `<p>` where the source had markup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup

# nbconvert's display priority: each output shows the first of these it carries.
DISPLAY_PRIORITY = (
    "text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain",
)  # fmt: skip
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)", re.MULTILINE)
HTML_HEADING = re.compile(r"<h[1-6][\s>]", re.IGNORECASE)
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)
HTML_TABLE = re.compile(r"<table[\s>]", re.IGNORECASE)
DISPLAY_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|\\begin\{([a-z]*\*?)\}.*?\\end\{\2\}", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<![$\\])\$")
ESCAPED_MARKUP = re.compile(r"<(h[1-6]|p|table|thead|tbody|tr|td|th|div|span|ul|ol|li|img|em|strong|br)[\s>/]", re.IGNORECASE)


@dataclass
class Counts:
    headings: int = 0
    tables: int = 0
    images: int = 0
    math: int = 0
    errors: int = 0


def _prose(source: str) -> str:
    """Markdown without code (fences and inline code), where `#` and `$` mean nothing."""
    return INLINE_CODE.sub("", FENCE.sub("", source))


def _math_in(markdown: str) -> int:
    prose = _prose(markdown)
    display = DISPLAY_MATH.findall(prose)
    rest = DISPLAY_MATH.sub(" ", prose)
    return len(display) + len(INLINE_MATH.findall(rest))


def displayed_type(output: Any) -> str | None:
    data = output.get("data") or {}
    return next((mime for mime in DISPLAY_PRIORITY if mime in data), None)


def count_notebook(nb: Any) -> Counts:
    counts = Counts()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            prose = _prose(cell.source)
            counts.headings += len(ATX_HEADING.findall(prose)) + len(HTML_HEADING.findall(prose))
            counts.tables += len(TABLE_RULE.findall(prose)) + len(HTML_TABLE.findall(prose))
            counts.math += _math_in(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                counts.errors += 1
                continue
            mime = displayed_type(output)
            if mime is None:
                continue
            value = output["data"][mime]
            if mime.startswith("image/"):
                counts.images += 1
            elif mime == "text/html":
                counts.tables += len(HTML_TABLE.findall(value if isinstance(value, str) else "".join(value)))
            elif mime == "text/latex":
                counts.math += 1
            elif mime == "text/markdown":
                counts.math += _math_in(value)
                counts.tables += len(TABLE_RULE.findall(_prose(value)))
    return counts


def count_html(document: str) -> Counts:
    soup = BeautifulSoup(document, "html.parser")
    counts = Counts()
    for cell in soup.select("div.jp-MarkdownCell"):
        counts.headings += len(cell.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]))
    counts.tables = len(soup.find_all("table"))
    counts.images = sum(
        1
        for image in soup.select(".jp-OutputArea-output img")
        if re.match(r"data:image/(png|jpeg|svg\+xml);base64,.{8,}", str(image.get("src") or ""))
    )
    counts.math = len(soup.find_all("math"))
    counts.errors = len(soup.select("div.jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] pre"))
    return counts


def escaped_markup(document: str) -> list[str]:
    """Markup that reached the reader as text in Markdown cells and HTML outputs (it should be markup)."""
    soup = BeautifulSoup(document, "html.parser")
    places = soup.select("div.jp-MarkdownCell .jp-RenderedMarkdown, div[data-mime-type='text/html']")
    found: list[str] = []
    for place in places:
        for code in place.find_all(["code", "pre"]):
            code.decompose()  # markup shown as code is meant to be read as text
        found.extend(match.group(0) for match in ESCAPED_MARKUP.finditer(place.get_text()))
    return found


def assert_rendered_like_notebook(nb: Any, document: str, *, what: str = "notebook") -> Counts:
    """The rendered document shows each heading, table, image, math expression and error of `nb`."""
    expected = count_notebook(nb)
    rendered = count_html(document)
    # stderr streams render in the same kind of block as errors: count them on the notebook's side.
    streams = sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    )
    expected_with_streams = Counts(**{**expected.__dict__, "errors": expected.errors + streams})
    assert rendered == expected_with_streams, f"{what}: the notebook holds {expected_with_streams}, the page shows {rendered}"
    assert escaped_markup(document) == [], f"{what}: markup arrived as text: {escaped_markup(document)[:5]}"
    return expected
