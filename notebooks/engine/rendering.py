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

import functools
import html
import json
import re
import threading
from pathlib import Path
from typing import Any

import nh3
from jinja2 import pass_context
from latex2mathml.converter import convert as latex_to_mathml_element
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

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


# Cell inputs and outputs take the keyboard focus (they scroll sideways), as in nbconvert's own export.
FOCUSABLE = re.compile(r'(<div class="(?:jp-Cell-inputWrapper|[^"]*jp-OutputArea-output[^"]*)")')
TEX_OUTPUT = re.compile(r"^\s*(\$\$?|\\\[|\\\()(?P<body>.*?)(\$\$?|\\\]|\\\))\s*$", re.DOTALL)


def latex_output_to_mathml(latex: str) -> str:
    """A `text/latex` output (sympy and others send `$…$` or `$$…$$`) as MathML."""
    match = TEX_OUTPUT.match(latex)
    body = match.group("body") if match else latex
    return latex_to_mathml(body, display=True)


@functools.lru_cache(maxsize=2048)
def rendered_markdown(source: str, attachments_json: str, anchor_link_text: str, exclude_anchor_links: bool) -> str:
    renderer = MathMLRenderer(
        escape=False,
        attachments=json.loads(attachments_json) if attachments_json else {},
        embed_images=False,  # never read files from the runner's disk into the page
        path="",
        anchor_link_text=anchor_link_text,
        exclude_anchor_links=exclude_anchor_links,
    )
    return clean_fragment(MarkdownWithMath(renderer=renderer).render(source))


@functools.lru_cache(maxsize=4096)
def highlighted_input(lexer: str, source: str, magics_language: str) -> str:
    """A code cell's input, highlighted and allow-listed. Cached: a notebook version's code is the same in
    every run but its parameters cell, so every run after the first renders its inputs from here."""
    highlight = Highlight2HTML(pygments_lexer=lexer)
    return clean_fragment(highlight(source, metadata={"magics_language": magics_language} if magics_language else None))


class PortalHTMLExporter(HTMLExporter):
    """The lab template without scripts, math as MathML, and the allow-list on notebook HTML."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        """Markdown (a cell, or a text/markdown output) as allow-listed HTML with MathML. Cached by source
        and attachments: a notebook version's Markdown cells are the same in every run."""
        attachments = context.get("cell", {}).get("attachments", {})
        key = json.dumps(attachments, sort_keys=True) if attachments else ""
        return rendered_markdown(source, key, self.anchor_link_text, self.exclude_anchor_links)

    def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
        """Not after every preprocessor: the runner validated the notebook when it stored the .ipynb."""

    lexer = "ipython3"

    def from_notebook_node(  # type: ignore[override]  # nbconvert's own HTMLExporter does the same
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """nbconvert's HTML export without its BeautifulSoup pass over the whole document (most of the time
        for a notebook with figures): images get `alt` in the template, focusable areas a tabindex here."""
        language = nb.metadata.get("language_info", {})
        self.lexer = str(language.get("pygments_lexer", language.get("name", None)) or "ipython3")
        # The lab template this one extends names the filter (its input block is replaced by ours).
        self.register_filter("highlight_code", Highlight2HTML(pygments_lexer=self.lexer, parent=self))
        resources = self._init_resources(resources)
        self.register_filter(
            "filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
        )
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return FOCUSABLE.sub(r'\1 tabindex="0"', html), resources

    def highlight_input(self, source: str, metadata: Any = None) -> str:
        magics = str((metadata or {}).get("magics_language", "") or "")
        return highlighted_input(self.lexer, source, magics)

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("clean_fragment", clean_fragment)
        yield ("highlight_input", self.highlight_input)
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
