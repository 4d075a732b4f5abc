"""A rendered run opened in Chromium exactly as the portal serves it (the output policy, sandboxed): every
image decoded with a natural width, every math node laid out with a size, a screenshot kept."""

from __future__ import annotations

from typing import Any

from notebooks.views import OUTPUT_POLICY
from tests.browser import chromium

LAYOUT = """() => ({
  images: Array.from(document.images).map(img => ({ok: img.complete && img.naturalWidth > 0, src: img.src.slice(0, 40)})),
  math: Array.from(document.querySelectorAll('math')).map(node => {
    const box = node.getBoundingClientRect();
    return {ok: box.width > 0 && box.height > 0, text: node.textContent.slice(0, 40)};
  }),
  scripts: document.scripts.length,
  width: document.documentElement.scrollWidth,
})"""


def check_rendered_in_chromium(document: str, name: str) -> dict[str, Any]:
    """Opens `document` under the output policy; fails on a broken image or math without layout."""
    if not chromium.available():
        return {}
    context = chromium.shared_browser().new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.route(
            "http://output.test/**",
            lambda route: route.fulfill(
                status=200,
                headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": OUTPUT_POLICY},
                body=document,
            ),
        )
        page.goto("http://output.test/output.html")
        page.wait_for_load_state("load")
        layout = page.evaluate(LAYOUT)
        chromium.ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(chromium.ARTIFACTS / f"rendered-{name}.png"), full_page=True)
    finally:
        context.close()
    broken = [image["src"] for image in layout["images"] if not image["ok"]]
    flat = [node["text"] for node in layout["math"] if not node["ok"]]
    assert broken == [], f"{name}: images that did not decode: {broken}"
    assert flat == [], f"{name}: math without layout: {flat}"
    assert layout["scripts"] == 0
    return layout
