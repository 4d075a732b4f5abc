from __future__ import annotations

from pathlib import Path

from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.csp import csp_replaced
from accounts.languages import reader_language
from accounts.page_errors import page_errors
from accounts.selectors import role_counts
from guide import search as guide_search
from guide import selectors
from guide.editorial import LinkNote, status_label
from guide.markdown import render as render_markdown
from guide.markdown import render_inline
from guide.models import Claim

# Mermaid draws SVG with inline <style>: pages with diagrams allow inline styles; scripts stay 'self' only.
_allow_diagram_styles = csp_replaced({"style-src": [SELF, UNSAFE_INLINE]})


def index(request: HttpRequest) -> HttpResponse:
    chapters = selectors.chapter_list()
    counts = Claim.objects.values_list("status").annotate(n=Count("id")).order_by()
    status_counts = [(status, status_label(status), count) for status, count in counts]
    return render(request, "guide/index.html", {"chapters": chapters, "status_counts": status_counts})


@_allow_diagram_styles
@page_errors
def chapter(request: HttpRequest, slug: str) -> HttpResponse:
    current = selectors.chapter_get(slug)
    if not current.is_guide:
        return about(request)
    rendered = selectors.chapter_rendered(current)
    previous, following = selectors.neighbours(current)
    context = {
        "chapter": current,
        "rendered": rendered,
        "previous": previous,
        "next": following,
        "chapters": selectors.chapter_list(),
    }
    return render(request, "guide/chapter.html", context)


def _about_links() -> tuple[LinkNote, ...]:
    """The founding document's figures and thresholds, each linked to where it stands today."""
    methodology, stats = reverse("methodology", args=["v1"]), reverse("stats")
    live = _("live figures")
    return (
        LinkNote("roles-live", "sec-5-3", "当前贡献者数", "#live-role-counts", _("live counts")),
        LinkNote(
            "robustness-method",
            "sec-5-5",
            "(FGSM ε=0.03)",
            methodology + "#robustness-fgsm-attack-success-rate",
            _("methodology v1"),
        ),
        LinkNote("explainability-method", "sec-5-5", "覆盖率≥82%", methodology, _("methodology v1")),
        LinkNote("energy-method", "sec-5-5", "(参照AWS Graviton3实测)", methodology, _("methodology v1")),
        LinkNote("certified-live", "sec-5-5", "43个社区模型通过认证", stats, live),
        LinkNote("universities-live", "sec-5-6", "327所高校下载使用", stats, live),
        LinkNote("awards-live", "sec-5-6", "21个省级医疗AI竞赛获奖项目", stats, live),
    )


@_allow_diagram_styles
@page_errors
def about(request: HttpRequest) -> HttpResponse:
    current = selectors.chapter_get("about")
    rendered = selectors.chapter_rendered(current, links=_about_links())
    return render(request, "guide/about.html", {"chapter": current, "rendered": rendered, "role_counts": role_counts()})


ERRATA = {"en": "errata.md", "zh-hans": "errata.zh-hans.md"}


def errata(request: HttpRequest) -> HttpResponse:
    """The dated errata log and every reviewed claim, in the reader's language."""
    language = reader_language(ERRATA)
    source = (Path(settings.GUIDE_CONTENT_DIR) / ERRATA[language]).read_text(encoding="utf-8")
    claims = Claim.objects.select_related("section__chapter").order_by("-checked_on", "key")
    rows = []
    for claim in claims:
        summary, summary_language = claim.text_for("summary", language)
        rows.append((claim, render_inline(summary), summary_language))
    context = {"errata": render_markdown(source).html, "rows": rows, "language": language}
    return render(request, "guide/errata.html", context)


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = guide_search.search(query) if query else []
    return render(request, "guide/search.html", {"query": query, "hits": hits})
