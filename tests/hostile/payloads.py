"""A corpus of script-injection payloads, and the places in a notebook where nbconvert once let them run.

Every payload, if it ever executed, leaves a mark the browser tests look for (tests/browser/
test_hostile_content.py): it sets `window.__pwned`, changes `document.title`, opens a dialog, reads
`document.cookie` into a same-origin request to `/__canary__` (which the test watches with `page.route`)
or navigates to `/pwned`. `MARK` is that action; `payloads()` substitutes it into each template.

Families: classic `<script>`, event handlers, `javascript:` / `data:` / `vbscript:` URLs, SVG and MathML,
CSS `expression()` / `url()`, template injection (`{{7*7}}`, `${7*7}`, `{% %}`), mutation XSS (parser
differentials: noscript, style, template, comments, namespace confusion) and encoded variants (HTML
entities, unicode escapes, full-width and mixed case, nulls).

Notebook injection points: GitHub Security Lab's report behind the nbconvert advisory GHSA-9jmq-rx5f-8jwq
(CVE-2021-32862, fixed in nbconvert 6.5.1; https://github.com/advisories/GHSA-9jmq-rx5f-8jwq) lists 16
places where a notebook's content reached the HTML export unescaped. nbconvert's pull request #2018
("May address Security / Issue 6: XSS in output data image/svg+xml cells") confirms the numbering;
the rest of the list below is from the advisory's report as we recall it — the tests put a payload in
each of them regardless of the exact wording:

 1. notebook metadata `language_info.pygments_lexer`     9. output data `application/javascript`
 2. notebook metadata `title`                            10. output metadata `filenames` (image/png, image/jpeg)
 3. notebook metadata `widgets` (widget state)           11. output data `image/png` / `image/jpeg` (base64 text)
 4. cell metadata `tags`                                 12. output metadata `width` / `height` of images
 5. output data `text/html`                              13. output data `application/vnd.jupyter.widget-state+json`
 6. output data `image/svg+xml`                          14. output data `application/vnd.jupyter.widget-view+json`
 7. output metadata `svg_filename`                       15. raw cells (`raw_mimetype` text/html)
 8. output data `text/markdown`                          16. markdown cells and their `attachments`

`NBCONVERT_POINTS` names them; tests/browser/test_hostile_content.py builds one notebook that carries a
payload at each, runs it through the portal's engine and opens the result.
"""

from __future__ import annotations

MARK = "top.__pwned=1;top.document.title='pwned';fetch('/__canary__?c='+document.cookie);alert(1)"

# Templates: `{js}` is replaced by MARK (single quotes only inside, so double-quoted attributes hold it).
_TEMPLATES: list[tuple[str, str]] = [
    # classic script
    ("script", "<script>{js}</script>"),
    ("script-src-data", '<script src="data:text/javascript,{js}"></script>'),
    ("script-uppercase", "<SCRIPT>{js}</SCRIPT>"),
    ("script-split", "<scr<script>ipt>{js}</scr</script>ipt>"),
    ("script-in-attribute-break", '"><script>{js}</script>'),
    ("script-in-textarea-break", "</textarea><script>{js}</script>"),
    ("script-in-title-break", "</title><script>{js}</script>"),
    # event handlers
    ("img-onerror", '<img src=x onerror="{js}">'),
    ("svg-onload", '<svg onload="{js}"></svg>'),
    ("body-onload", '<body onload="{js}">'),
    ("details-ontoggle", '<details open ontoggle="{js}"><summary>x</summary></details>'),
    ("input-onfocus-autofocus", '<input autofocus onfocus="{js}">'),
    ("video-source-onerror", '<video><source onerror="{js}"></video>'),
    ("marquee-onstart", '<marquee onstart="{js}">x</marquee>'),
    ("div-onmouseover", '<div onmouseover="{js}">hover</div>'),
    ("iframe-onload", '<iframe onload="{js}"></iframe>'),
    ("unquoted-handler", "<img src=x onerror={js}>"),
    ("handler-slash-separator", '<img/src=x/onerror="{js}">'),
    # URL schemes
    ("a-javascript", '<a href="javascript:{js}">click</a>'),
    ("a-javascript-mixed-case", '<a href="JaVaScRiPt:{js}">click</a>'),
    ("a-javascript-tab", '<a href="java\tscript:{js}">click</a>'),
    ("a-javascript-entity", '<a href="&#106;avascript:{js}">click</a>'),
    ("iframe-javascript", '<iframe src="javascript:{js}"></iframe>'),
    ("a-data-html", '<a href="data:text/html,<script>{js}</script>">click</a>'),
    ("iframe-data-html", '<iframe src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></iframe>'),
    ("object-data", '<object data="data:text/html,<script>{js}</script>"></object>'),
    ("embed-src", '<embed src="javascript:{js}">'),
    ("a-vbscript", '<a href="vbscript:msgbox(1)">click</a>'),
    ("form-action-javascript", '<form action="javascript:{js}"><button>go</button></form>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=/pwned">'),
    ("base-href", '<base href="/pwned/">'),
    # SVG and MathML
    ("svg-script", '<svg xmlns="http://www.w3.org/2000/svg"><script>{js}</script></svg>'),
    ("svg-animate-href", '<svg><a><animate attributeName="href" to="javascript:{js}"/><text y="20">x</text></a></svg>'),
    ("svg-set-onbegin", '<svg><set attributeName="x" onbegin="{js}"/></svg>'),
    (
        "svg-use-data",
        "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='alert(1)'/></svg>#x\"/></svg>",
    ),
    ("svg-foreignobject", '<svg><foreignObject><iframe onload="{js}"></iframe></foreignObject></svg>'),
    ("math-href", '<math><mtext><a href="javascript:{js}">x</a></mtext></math>'),
    ("math-maction", '<math><maction actiontype="statusline" xlink:href="javascript:{js}">x</maction></math>'),
    # CSS
    ("style-expression", '<div style="width:expression({js})">x</div>'),
    ("style-url-javascript", "<div style=\"background:url('javascript:{js}')\">x</div>"),
    ("style-import", "<style>@import 'javascript:{js}';</style>"),
    ("link-stylesheet", '<link rel="stylesheet" href="javascript:{js}">'),
    (
        "css-overlay",
        '<div style="position:fixed;inset:0;z-index:2147483647;background:#c00;color:#fff">Session expired: sign in again'
        '<form action="/accounts/login/" method="post"><input name="password" type="password"><button>Sign in</button></form>'
        "<!-- {js} --></div>",
    ),
    ("style-overlay-body", "<style>body::before { content: 'fake'; position: fixed; inset: 0; z-index: 99999 }</style>{js}"),
    # template injection (Django, Jinja, JS template literals, Angular)
    ("template-curly", "{{7*7}}"),
    ("template-tag", "{% debug %}{% load log %}"),
    ("template-dollar", "${7*7}<script>{js}</script>"),
    ("angular-constructor", "{{constructor.constructor('{js}')()}}"),
    # mutation XSS and parser differentials
    ("mxss-noscript", '<noscript><p title="</noscript><img src=x onerror={js}>">'),
    ("mxss-style-in-svg", '<svg></p><style><a id="</style><img src=1 onerror={js}>">'),
    ("mxss-template", '<template><img src=x onerror="{js}"></template>'),
    ("mxss-comment", '<!--><img src=x onerror="{js}">-->'),
    ("mxss-cdata", '<svg><![CDATA[><img src=x onerror="{js}">]]></svg>'),
    ("mxss-math-mglyph", '<math><mtext><table><mglyph><style><img src=x onerror="{js}">'),
    ("mxss-form-nesting", '<form><math><mtext></form><form><mglyph><style></math><img src onerror="{js}">'),
    # encoded variants
    ("entity-encoded-script", "&lt;script&gt;{js}&lt;/script&gt;"),
    ("unicode-escaped-script", "\\u003cscript\\u003e{js}\\u003c/script\\u003e"),
    ("fullwidth-brackets", "＜script＞{js}＜/script＞"),
    ("null-byte-in-tag", "<scr\x00ipt>{js}</scr\x00ipt>"),
    ("double-encoded", "%253Cscript%253E{js}%253C/script%253E"),
    ("utf7-style", "+ADw-script+AD4-{js}+ADw-/script+AD4-"),
    # Markdown-shaped (what a Markdown renderer turns into links and images)
    ("markdown-link-javascript", "[click](javascript:{js})"),
    ("markdown-image-onerror", '![x](x" onerror="{js})'),
    ("markdown-autolink", "<javascript:{js}>"),
    ("markdown-reference-link", "[click][r]\n\n[r]: javascript:{js}"),
    ("markdown-raw-html-block", "<div>\n<script>{js}</script>\n</div>"),
]


def payloads() -> list[tuple[str, str]]:
    """(name, payload) for each template, with MARK substituted."""
    return [(name, template.replace("{js}", MARK)) for name, template in _TEMPLATES]


NBCONVERT_POINTS = [
    "metadata.language_info.pygments_lexer",
    "metadata.title",
    "metadata.widgets",
    "cell.metadata.tags",
    "output text/html",
    "output image/svg+xml",
    "output metadata svg_filename",
    "output text/markdown",
    "output application/javascript",
    "output metadata filenames",
    "output image/png data",
    "output metadata width/height",
    "output widget-state+json",
    "output widget-view+json",
    "raw cell text/html",
    "markdown cell attachments",
]

assert len(payloads()) >= 50
assert len(NBCONVERT_POINTS) == 16
