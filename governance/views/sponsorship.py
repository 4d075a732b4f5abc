"""The steward dashboard and quarter pages. Every write calls the sponsorship services (409 once frozen)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.charts import bar_chart, hbar_chart, histogram
from accounts.errors import ApplicationError, NotAllowed, NotFound, TooLarge
from accounts.models import Role
from accounts.money import format_money, parse_major
from accounts.page_errors import page_errors
from accounts.selectors import user_has_role
from governance.methodology import DIMENSIONS, THRESHOLDS
from governance.models import Allocation, Certification, CommunityModel, Evaluation, Quarter
from governance.selectors import health as health_selectors
from governance.selectors import quarter_verification
from governance.selectors import sponsorship as selectors
from governance.services import sponsorship as services
from governance.views.health import health_rows

STATES = ["certified", "expiring", "suspended", "not_certified"]
T = TypeVar("T")


def _require_steward(request: HttpRequest) -> None:
    if not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
        raise NotAllowed(_("The sponsorship dashboard is for stewards."))


def _filters(request: HttpRequest) -> dict[str, str]:
    return {
        "state": request.GET.get("state", ""),
        "failing": request.GET.get("failing", ""),
        "query": request.GET.get("q", "")[:80],
    }


def _filtered(now: datetime, *, state: str = "", failing: str = "", query: str = "") -> Any:
    """The annotated models the filters leave. A state filter tests the certification and the suspension with
    EXISTS, not through the annotations, so the database can join once instead of running the `certified_until`
    subquery for each of the 10,000 models (the same test: a version has at most one active certification)."""
    models: Any = (  # what the rows show: the slug and the values, not the values' ids
        health_selectors.model_health_list(evaluation_ids=False).select_related(None).only("slug")
    )
    soon = now + timedelta(days=health_selectors.EXPIRING_DAYS)
    certified = health_selectors.certified_of_current_version(now)
    if state == "certified":
        models = models.filter(Exists(certified), suspended=False)
    elif state == "expiring":
        models = models.filter(Exists(certified.filter(expires_at__lt=soon)), suspended=False)
    elif state == "suspended":
        models = models.filter(suspended=True)
    elif state == "not_certified":
        models = models.filter(~Exists(certified) | Q(suspended=True))
    if failing in THRESHOLDS:
        threshold = THRESHOLDS[failing]
        field = f"{failing}_value"
        passing = {"<": f"{field}__lt", ">=": f"{field}__gte", "<=": f"{field}__lte"}[threshold.comparison]
        models = models.exclude(**{passing: threshold.limit})
    if query:
        models = models.filter(slug__icontains=query)
    return models


def _paginator(models: Any, now: datetime, fingerprint: tuple[Any, ...], filters: dict[str, str]) -> Paginator[Any]:
    """The filtered models in pages of 50.

    Counting the certified (or expiring) models joins all 10,000 with their certifications; that count is kept
    under the fingerprint, and "not certified" is every model but the certified ones (the two filters are each
    other's complement). A search, a failing dimension or the suspended filter count as they are: their answers
    also depend on names, values and audits that the fingerprint does not read."""
    paginator = Paginator(models, 50)
    state = filters["state"]
    if state in {"certified", "expiring", "not_certified"} and not filters["query"] and filters["failing"] not in THRESHOLDS:
        counted = "expiring" if state == "expiring" else "certified"
        count = _certified_cached(f"count:{counted}", fingerprint, lambda: int(_filtered(now, state=counted).count()))
        paginator.count = CommunityModel.objects.count() - count if state == "not_certified" else count
    return paginator


CERTIFIED_CACHED_S = 600


def _certified_cached(name: str, fingerprint: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`, kept under `fingerprint` (`certified_fingerprint`, read before it): the reading changes with
    every grant, end, suspension and new version, and with time as a certification expires or comes within 30
    days, so an answer found under it is the answer now. The timeout only frees entries no reading names again."""
    reading = ":".join(str(part).replace(" ", "T") for part in fingerprint)
    key = f"governance:certified:{name}:{reading}"
    found = cache.get(key)
    if found is None:
        found = (compute(),)
        cache.set(key, found, CERTIFIED_CACHED_S)
    return cast(T, found[0])


def _charts() -> dict[str, Any]:
    """Certified models over time and the distribution of each current value, drawn in the page's language.

    The numbers span every model and are cached a minute (`_chart_data`); each language's drawing of them is
    cached for what is left of that minute, so a drawing is never older than the numbers would be and every
    language draws the same numbers. A drawing found is used without loading the numbers again."""
    key = f"governance:steward-charts-drawn:{get_language()}"
    drawn = cache.get(key)
    if drawn is None:
        data = _chart_data()
        drawn = {
            "over_time": _draw("charts/_bar_chart.html", data["over_time"], _("Certified models over time"), "over-time"),
            "distributions": [
                {**item, "chart": _draw("charts/_bar_chart.html", item["chart"], item["dimension"], item["dimension"])}
                for item in data["distributions"]
            ],
        }
        left = CHARTS_CACHED_S - (timezone.now() - data["counted_at"]).total_seconds()
        if left >= 1:
            cache.set(key, drawn, int(left))
    return dict(drawn)


CHARTS_CACHED_S = 60


def _draw(template: str, chart: Any, title: str, name: str) -> SafeString:
    """One chart as the page's `{% include template with chart=… title=… name=… %}` drew it."""
    return mark_safe(render_to_string(template, {"chart": chart, "title": title, "name": name}))  # noqa: S308


def _chart_data() -> dict[str, Any]:
    """The charts' numbers; cached CHARTS_CACHED_S seconds (they span every model), with when they were counted."""
    cached = cache.get("governance:steward-chart-data")
    if cached is not None:
        return dict(cached)
    now = timezone.now()
    months = []
    for back in range(11, -1, -1):
        month_end = (now.replace(day=1) - timedelta(days=30 * (back - 1))).replace(day=1) if back else now
        months.append(month_end)
    spans = list(Certification.objects.values_list("valid_from", "ended_at", "expires_at"))
    over_time = []
    for moment in months:
        count = sum(1 for start, ended, expires in spans if start <= moment < min(ended or expires, expires))
        over_time.append((moment.strftime("%Y-%m"), float(count), "certified"))
    latest: dict[str, list[float]] = {d: [] for d in DIMENSIONS}
    for row in health_selectors.model_health_list().values(*[f"{d}_value" for d in DIMENSIONS]):
        for dimension in DIMENSIONS:
            value = row[f"{dimension}_value"]
            if value is not None:
                latest[dimension].append(float(value))
    distributions = []
    for dimension in DIMENSIONS:
        threshold = THRESHOLDS[dimension]
        chart = histogram(
            latest[dimension], threshold=float(threshold.limit), passes=lambda v, t=threshold: t.passes(Decimal(str(v)))
        )
        distributions.append({"dimension": dimension, "threshold": threshold, "chart": chart, "count": len(latest[dimension])})
    charts = {"over_time": bar_chart(over_time), "distributions": distributions, "counted_at": now}
    cache.set("governance:steward-chart-data", charts, CHARTS_CACHED_S)
    return charts


CHANGES_SHOWN = 50


def _eligibility(previous: Quarter | None, now: datetime, fingerprint: tuple[Any, ...]) -> tuple[int, dict[str, list[str]]]:
    """How many models are certified now, and (at most CHANGES_SHOWN each, by slug) which joined or left the
    eligible set since the last frozen quarter.

    Reading every certified model's slug is most of the page's work at 10,000 models, and its answer changes
    only with what the fingerprint reads (the frozen quarter's allocations never change): kept under it."""
    sealed = f"{previous.pk}:{previous.manifest_sha256}" if previous is not None else "none"
    return _certified_cached(f"eligibility:{sealed}", fingerprint, lambda: _eligibility_now(previous, now))


def _eligibility_now(previous: Quarter | None, now: datetime) -> tuple[int, dict[str, list[str]]]:
    """`_eligibility`, read. Each side is read once as slugs and the sets are compared here: the count and the two
    anti-joins over 10,000 rows each were half the page's time. Only the few differences are ordered by the
    database, so the order is its collation's, as before; a larger difference falls back to the database's
    anti-join and LIMIT."""
    certified = health_selectors.certified_now(now).values_list("model__slug", flat=True)
    slugs = list(certified.order_by())  # unsorted (sorting 10,000 rows was a third of it); one per model: the count
    if previous is None:
        return len(slugs), {"joined": list(certified.order_by("model__slug")[:CHANGES_SHOWN]), "left": []}
    before = previous.allocations.values_list("model_slug", flat=True)
    before_slugs = _frozen_slugs(previous)
    now_slugs = set(slugs)
    joined, left = now_slugs - before_slugs, before_slugs - now_slugs
    joined_rows: QuerySet[Any, str]
    if len(joined) > CHANGES_SHOWN:
        joined_rows = certified.exclude(model__slug__in=before).order_by("model__slug")
    else:
        joined_rows = CommunityModel.objects.filter(slug__in=joined).order_by("slug").values_list("slug", flat=True)
    if len(left) > CHANGES_SHOWN:
        left_rows = before.exclude(model_slug__in=certified).order_by("model_slug")
    else:
        left_rows = before.filter(model_slug__in=left).order_by("model_slug")
    return len(slugs), {
        "joined": list(joined_rows[:CHANGES_SHOWN]) if joined else [],
        "left": list(left_rows[:CHANGES_SHOWN]) if left else [],
    }


def _frozen_slugs(quarter: Quarter) -> frozenset[str]:
    """The models a frozen quarter allocated to, kept under its seal: its allocations never change again (the
    services refuse it and governance/db_guards.py's triggers stop anything else)."""
    return _sealed_slugs(quarter.pk, quarter.manifest_sha256)


@lru_cache(maxsize=4)
def _sealed_slugs(quarter_id: int, manifest_sha256: str) -> frozenset[str]:
    """Held by the process, not the cache: reading 10,000 slugs back out of the cache on each request was a
    millisecond, and a copy cannot go stale (the seal is the hash of a manifest that names them all)."""
    return frozenset(Allocation.objects.filter(quarter_id=quarter_id).order_by().values_list("model_slug", flat=True))


POOL_SPLIT_ROWS = 50


def _pool_split(quarter: Quarter | None) -> SafeString:
    """One labelled bar per model (largest first, then by slug), at most POOL_SPLIT_ROWS of them; the rest are
    said as "N more" with their total, and the unallocated part is its own bar. Amounts in major units, drawn.

    Cached per computation: allocations change only when the quarter is computed again, and that saves the
    quarter (a new `computations` and `updated_at`), as does any other change to its pool or currency."""
    if quarter is None or not quarter.computations:
        return _draw("charts/_hbar_chart.html", None, _("Pool split"), "pool-split")
    key = f"governance:pool-split:{quarter.pk}:{quarter.computations}:{quarter.updated_at.isoformat()}:{get_language()}"
    drawn = cache.get(key)
    if drawn is None:
        drawn = _draw("charts/_hbar_chart.html", _draw_pool_split(quarter), _("Pool split"), "pool-split")
        cache.set(key, drawn, 600)
    return drawn


def _draw_pool_split(quarter: Quarter) -> Any:
    allocations = selectors.quarter_allocations(quarter).select_related(None).only("quarter", "model_slug", "amount_minor_units")
    shown = list(allocations.order_by("-amount_minor_units", "model_slug")[:POOL_SPLIT_ROWS])
    totals = allocations.aggregate(count=Count("pk"), amount=Sum("amount_minor_units"))
    items = [
        (a.model_slug, float(a.amount_minor_units), "allocated", format_money(a.amount_minor_units, quarter.currency))
        for a in shown
    ]
    items.append(
        (_("unallocated"), float(quarter.unallocated_minor_units), "unallocated",
         format_money(quarter.unallocated_minor_units, quarter.currency))
    )  # fmt: skip
    rest = totals["count"] - len(shown)
    more = ""
    if rest > 0:
        rest_amount = (totals["amount"] or 0) - sum(a.amount_minor_units for a in shown)
        more = ngettext(
            "%(count)d more model: %(amount)s in total (all in the allocations table)",
            "%(count)d more models: %(amount)s in total (all in the allocations table)",
            rest,
        ) % {"count": rest, "amount": format_money(rest_amount, quarter.currency)}
    return hbar_chart(items, more=more)


@login_required
@page_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_steward(request)
    now = timezone.now()
    fingerprint = health_selectors.certified_fingerprint(now)  # before anything kept under it is read
    filters = _filters(request)
    # The annotated rows of one page in one query: the per-model subqueries of the select list run for its 50 rows.
    page = _paginator(_filtered(now, **filters), now, fingerprint, filters).get_page(request.GET.get("page"))
    quarters = list(selectors.quarter_list()[:12])
    current = next((q for q in quarters if not q.frozen), quarters[0] if quarters else None)
    previous = next((q for q in quarters if q.frozen and q != current), None)
    soon = now + timedelta(days=health_selectors.EXPIRING_DAYS)
    certified_count, changes = _eligibility(previous, now, fingerprint)
    context = {
        "page": page,
        "rows": health_rows(page.object_list),
        "thresholds": [THRESHOLDS[d] for d in DIMENSIONS],
        "quarters": quarters,
        "current": current,
        "previous": previous,
        "changes": changes,
        "expiring": health_selectors.certified_now(now)
        .filter(expires_at__lt=soon)
        .select_related("model")
        .only("expires_at", "model__slug")
        .order_by("expires_at")[:20],
        "certified_count": certified_count,
        "pending_values": Evaluation.objects.filter(status=Evaluation.Status.PENDING).count(),
        "pool_split": _pool_split(current),
        "charts": _charts(),
        "states": STATES,
        "state": filters["state"],
        "failing": filters["failing"],
        "q": request.GET.get("q", ""),
        "dimensions": DIMENSIONS,
    }
    return render(request, "governance/sponsorship/dashboard.html", context)


@login_required
@require_POST
@page_errors
def quarter_open(request: HttpRequest) -> HttpResponse:
    _require_steward(request)
    currency = request.POST.get("currency", "")
    if "pool" in request.POST:  # the page: major units, as people write money ("500,000.00")
        try:
            pool_minor_units = parse_major(request.POST["pool"], currency)
        except ValueError:
            raise ApplicationError(
                _("The pool is an amount in %(currency)s, like 500000.00.") % {"currency": currency or "CNY"},
                fields={"pool": [_("A positive amount with at most the currency's decimals.")]},
            ) from None
    else:
        raw_pool = request.POST.get("pool_minor_units", "").strip()
        if not raw_pool.isdigit():
            raise ApplicationError(
                _("The pool is a whole number of minor units."), fields={"pool_minor_units": [_("A whole number.")]}
            )
        pool_minor_units = int(raw_pool)
    quarter = services.quarter_open(
        actor=actor_of(request),
        label=request.POST.get("label", ""),
        pool_minor_units=pool_minor_units,
        currency=currency,
        weight_percent=request.POST.get("weight_percent") or 3,
        cap_percent=request.POST.get("cap_percent") or 100,
        usd_exchange_rate=request.POST.get("usd_exchange_rate") or None,
    )
    messages.success(request, _("Quarter %(label)s opened.") % {"label": quarter.label})
    return redirect("governance:quarter", label=quarter.label)


@login_required
@page_errors
def quarter_detail(request: HttpRequest, label: str) -> HttpResponse:
    _require_steward(request)
    quarter = selectors.quarter_get(label)
    page = Paginator(selectors.quarter_allocations(quarter), 200).get_page(request.GET.get("page"))
    context = {
        "quarter": quarter,
        "page": page,
        "allocations": page.object_list,
        "seal_problems": quarter_verification.stored_allocations_problems(quarter) if quarter.frozen else [],
        "pool_split": _pool_split(quarter),
        "verification_script": VERIFICATION_SCRIPT,
    }
    return render(request, "governance/sponsorship/quarter.html", context)


# Shown on the quarter and verification pages and in the README; tests/governance/test_quarter_verification.py runs it.
VERIFICATION_SCRIPT = """import hashlib, json, math, sys
from fractions import Fraction

data = open(sys.argv[1], "rb").read()  # the downloaded manifest.json
print("SHA-256", hashlib.sha256(data).hexdigest())  # must equal the published one
m = json.loads(data)
assert json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == data
pool, slugs = m["pool_minor_units"], sorted(m["eligible"])
n = len(slugs)
share = min(Fraction(m["weight"]), Fraction(m["cap"]) / n) if n else Fraction(0)
base, total = math.floor(pool * share), math.floor(pool * share * n)
amounts = {slug: base + (rank < total - n * base) for rank, slug in enumerate(slugs)}
assert amounts == m["allocations"] and pool - total == m["unallocated_minor_units"]
print("allocations follow from the rule")
"""


@page_errors
def verify(request: HttpRequest) -> HttpResponse:
    """Public: pick a frozen quarter, see the portal's checks; upload a downloaded manifest.json to check it too."""
    frozen = list(Quarter.objects.filter(status=Quarter.Status.FROZEN).order_by("-label").only("label", "manifest_sha256"))
    label = (request.POST.get("quarter") or request.GET.get("quarter") or "").strip().upper()
    report = None
    if label:
        quarter = selectors.quarter_get(label)
        if not quarter.frozen:
            raise NotFound(f"No quarter {label}.")
        upload = request.FILES.get("manifest") if request.method == "POST" else None
        if upload is not None and (upload.size or 0) > quarter_verification.MAX_MANIFEST_BYTES:
            raise TooLarge(_("The file is larger than a manifest can be."), fields={"manifest": [_("Too large.")]})
        report = quarter_verification.quarter_verify(quarter, file=upload.read() if upload is not None else None)
    context = {"frozen": frozen, "label": label, "report": report, "verification_script": VERIFICATION_SCRIPT}
    return render(request, "governance/sponsorship/verify.html", context)


@login_required
@require_POST
@page_errors
def quarter_compute(request: HttpRequest, label: str) -> HttpResponse:
    quarter = services.quarter_compute(actor=actor_of(request), label=selectors.quarter_get(label).label)
    messages.success(request, _("Computed: %(n)s eligible models.") % {"n": quarter.eligible_count})
    return redirect("governance:quarter", label=quarter.label)


@login_required
@require_POST
@page_errors
def quarter_freeze(request: HttpRequest, label: str) -> HttpResponse:
    """Freezing cannot be undone: the page asks for the quarter's label typed out (the API call is its own intent)."""
    _require_steward(request)
    quarter = selectors.quarter_get(label)
    if not quarter.frozen and request.POST.get("confirm_label", "").strip() != quarter.label:
        raise ApplicationError(
            _("Type the quarter's label to confirm the freeze."),
            code="confirmation_required",
            fields={"confirm_label": [_("Type %(label)s exactly.") % {"label": quarter.label}]},
        )
    quarter = services.quarter_freeze(actor=actor_of(request), label=quarter.label)
    messages.success(request, _("Frozen and sealed: SHA-256 %(sha)s.") % {"sha": quarter.manifest_sha256})
    return redirect("governance:quarter", label=quarter.label)
