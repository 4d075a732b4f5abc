"""Notebook → HTML that reads as in JupyterLab, once per run, with one exporter per process.

What a student sees is what JupyterLab shows: Markdown with heading anchors, tables and lists, math as
MathML (converted here, on the server: the page runs no script, so no MathJax), highlighted code,
PNG/JPEG/SVG figures, pandas and Styler tables with their CSS, coloured tracebacks, rich outputs in order.

The HTML is hostile content all the same (outputs carry whatever the code printed). It is made inert by
where and how it is served, not by escaping it: the document carries its own policy (a `<meta>` CSP, so
a copy opened from disk runs nothing either), the portal serves it with `Content-Security-Policy: sandbox`
and frames it without `allow-scripts`/`allow-same-origin` (`notebooks.views.run_output_html`). As a second
layer, HTML that came from the notebook (Markdown cells and `text/html`/`text/markdown` outputs) passes an
allow-list (`clean_fragment`) that keeps tables, MathML, CSS, `data:` images and highlighting classes and
drops scripts, handlers, forms, frames, `<base>`, `<meta>` and anything loaded from elsewhere. SVG figures
are shown as `<img src="data:image/svg+xml…">`, where an SVG can never run script. Nothing is read from
the runner's disk: Markdown images come from the notebook's attachments only.
"""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path
from typing import Any

import nh3
from jinja2 import pass_context
from latex2mathml.converter import convert as latex_to_mathml_element
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

# The document's own policy (also sent as a header with `sandbox` by the view): no script, no network.
DOCUMENT_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"
)

MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt",
    "mroot", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
MATHML_ATTRIBUTES = {
    "display", "xmlns", "mathvariant", "mathsize", "mathcolor", "stretchy", "fence", "separator", "lspace",
    "rspace", "accent", "accentunder", "columnalign", "rowalign", "columnspacing", "rowspacing", "width",
    "height", "depth", "notation", "scriptlevel", "displaystyle", "movablelimits", "largeop", "symmetric",
    "minsize", "maxsize", "form", "linethickness", "encoding", "columnlines", "rowlines", "frame",
}  # fmt: skip
# No form controls at all (not even task-list checkboxes): a text box in a result is a phishing prop.
ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) | MATHML_TAGS | {"style", "font", "center"}) - {"map", "area"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "style", "title", "lang", "dir", "align", "valign", "width", "height", "hidden"},
    "a": {"href", "name"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "scope", "nowrap"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "font": {"color", "size", "face"},
    "table": {"border", "cellpadding", "cellspacing"},
    "time": {"datetime"},
    **dict.fromkeys(MATHML_TAGS, MATHML_ATTRIBUTES),
}
EXTERNAL_LINK = re.compile(r'<a ((?:[a-z-]+="[^"]*" )*href="(?:https?:|mailto:))')
LINK_SCHEMES = ("http:", "https:", "mailto:", "#")
IMAGE_PREFIXES = ("data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/webp;", "data:image/svg+xml;")


CSS_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*(?![\"']?data:image/)[^)]*\)", re.IGNORECASE)
CSS_EXPRESSION = re.compile(r"expression\s*\(", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.IGNORECASE | re.DOTALL)


def clean_css(css: str) -> str:
    """CSS that styles only: no `@import`, no `url()` but data images, no IE `expression()` (the CSP
    blocks them anyway; removing them keeps the page from even asking)."""
    return CSS_EXPRESSION.sub("invalid(", CSS_URL.sub("none", CSS_IMPORT.sub("", css)))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Links to the web, mail or this document only; images from the document itself only; CSS that
    loads nothing."""
    lowered = value.strip().lower()
    if attribute == "style":
        return clean_css(value)
    if tag == "a" and attribute == "href":
        return value if lowered.startswith(LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(IMAGE_PREFIXES) else None
    return value


def clean_fragment(fragment: str) -> str:
    """The allow-list pass over HTML that came from the notebook (second layer behind the CSP)."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # Links to the web open in a new tab (the frame's sandbox allows popups that escape it, never
    # scripts); links inside the document (heading anchors) stay in the frame.
    cleaned = STYLE_ELEMENT.sub(lambda match: match.group(1) + clean_css(match.group(2)) + match.group(3), cleaned)
    return EXTERNAL_LINK.sub(r'<a target="_blank" \1', cleaned)


def latex_to_mathml(latex: str, *, display: bool) -> str:
    """One TeX expression as MathML; what cannot be converted stays visible as its TeX source."""
    try:
        return str(latex_to_mathml_element(latex.strip(), display="block" if display else "inline"))
    except Exception:  # noqa: BLE001 — latex2mathml raises many types for input it does not know
        escaped = html.escape(latex)
        return f'<code class="tex-unrendered" title="not converted">{escaped}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's renderer (anchors, highlighting, attachments) with math turned into MathML here."""

    def block_math(self, body: str) -> str:
        return latex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        return latex_to_mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def multiline_math(self, text: str) -> str:
        return latex_to_mathml(text.strip().strip("$"), display=True)


TEX_OUTPUT = re.compile(r"^\s*(\$\$?|\\\[|\\\()(?P<body>.*?)(\$\$?|\\\]|\\\))\s*$", re.DOTALL)


def latex_output_to_mathml(latex: str) -> str:
    """A `text/latex` output (sympy and others send `$…$` or `$$…$$`) as MathML."""
    match = TEX_OUTPUT.match(latex)
    body = match.group("body") if match else latex
    return latex_to_mathml(body, display=True)


class PortalHTMLExporter(HTMLExporter):
    """The lab template without scripts, math as MathML, and the allow-list on notebook HTML."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=False,  # never read files from the runner's disk into the page
            path="",
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("clean_fragment", clean_fragment)
        yield ("latex_output_to_mathml", latex_output_to_mathml)


_exporter: PortalHTMLExporter | None = None
_lock = threading.Lock()


def _get_exporter() -> PortalHTMLExporter:
    global _exporter
    if _exporter is None:
        templates = Path(__file__).resolve().parent / "nbconvert_templates"
        exporter = PortalHTMLExporter(template_name="portal", extra_template_basedirs=[str(templates)])
        exporter.sanitize_html = False  # nbconvert's own pass escapes the HTML its Markdown renderer made
        exporter.embed_images = False
        exporter.exclude_input_prompt = False
        exporter.mathjax_url = ""
        exporter.require_js_url = ""
        if hasattr(exporter, "enable_mathjax"):
            exporter.enable_mathjax = False
        _exporter = exporter
    return _exporter


def render_html(nb: Any) -> str:
    """The whole HTML document of an executed notebook (a reused exporter: about 10 ms for a course notebook)."""
    with _lock:
        body, _resources = _get_exporter().from_notebook_node(nb, resources={"document_policy": DOCUMENT_POLICY})
    return str(body)
