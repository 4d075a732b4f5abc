from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.errors import NotFound
from accounts.selectors import role_counts
from guide import search as guide_search
from guide import selectors
from guide.markdown import render as render_markdown
from guide.models import Claim


def _allow_diagram_styles(request: HttpRequest) -> None:
    # Mermaid draws SVG with inline <style>: guide pages allow inline styles; scripts stay 'self' only.
    request.csp_style_src = "'self' 'unsafe-inline'"  # type: ignore[attr-defined]


def index(request: HttpRequest) -> HttpResponse:
    chapters = selectors.chapter_list()
    counts = dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by())
    return render(request, "guide/index.html", {"chapters": chapters, "status_counts": counts})


def chapter(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        current = selectors.chapter_get(slug)
    except NotFound:
        return render(request, "404.html", status=404)
    if not current.is_guide:
        return about(request)
    rendered = selectors.chapter_rendered(current)
    previous, following = selectors.neighbours(current)
    _allow_diagram_styles(request)
    context = {
        "chapter": current,
        "rendered": rendered,
        "previous": previous,
        "next": following,
        "chapters": selectors.chapter_list(),
    }
    return render(request, "guide/chapter.html", context)


def about(request: HttpRequest) -> HttpResponse:
    try:
        current = selectors.chapter_get("about")
    except NotFound:
        return render(request, "404.html", status=404)
    _allow_diagram_styles(request)
    return render(
        request,
        "guide/about.html",
        {"chapter": current, "rendered": selectors.chapter_rendered(current), "role_counts": role_counts()},
    )


def errata(request: HttpRequest) -> HttpResponse:
    source = (Path(settings.GUIDE_CONTENT_DIR) / "errata.md").read_text(encoding="utf-8")
    claims = Claim.objects.select_related("section__chapter").order_by("-checked_on", "key")
    return render(request, "guide/errata.html", {"errata": render_markdown(source).html, "claims": claims})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = guide_search.search(query) if query else []
    return render(request, "guide/search.html", {"query": query, "hits": hits})
