"""What a model's owner needs to keep it eligible: per model they own, its versions and certification, each
dimension's counted value against its threshold, what to do next, and the money (the My models page and
`GET /api/v1/me/models/` show the same rows).

Only models the person owns are read; everything here is also on the public pages (values pending review
are counted, never shown beyond the public health page). A fixed number of queries, whatever the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import NotFound
from accounts.money import format_money
from governance.methodology import CERTIFICATION_DAYS, DIMENSIONS, THRESHOLDS
from governance.models import (
    Allocation,
    Certification,
    CommunityModel,
    Dimension,
    Evaluation,
    EvaluationRun,
    ModelVersion,
    Quarter,
)
from governance.selectors.health import latest_counted, suspending_audits
from governance.selectors.health_explanation import _number, evidence_name, margin
from notebooks.models import Run

EXPIRY_WARNING_DAYS = 30
# What a dimension's row reads of its latest counted value (the evidence file or the run's output notebook).
EVALUATION_FIELDS = (
    "id",
    "version_id",
    "dimension",
    "value",
    "provenance",
    "estimated",
    "measured_at",
    "run_id",
    "evidence_file",
)


def owned_model_overview(user: Any, slug: str) -> dict[str, Any]:
    """One model's row if `user` owns it; another person's model and an unknown slug are both "not found"."""
    rows = owned_models_overview(user, slug=slug)
    if not rows:
        raise NotFound("You own no model of that name.")
    return rows[0]


def _date(moment: datetime) -> str:
    """A date as the pages show it (`|date:"Y-m-d"`): in the portal's time zone, not UTC."""
    return f"{timezone.localtime(moment):%Y-%m-%d}"


def _days_left(expires_at: datetime | None, now: datetime) -> int | None:
    """Whole days until expiry, rounded up: a certification granted now has 180 days left, one ending within the
    hour has 1, an expired one 0."""
    if expires_at is None:
        return None
    return max(0, math.ceil((expires_at - now).total_seconds() / 86_400))


def _certification_row(certification: Certification, now: datetime) -> dict[str, Any]:
    expired = certification.status == Certification.Status.ACTIVE and certification.expires_at <= now
    return {
        "status": "expired" if expired else certification.status,
        "status_label": _("expired") if expired else certification.get_status_display(),
        "valid_from": certification.valid_from,
        "expires_at": certification.expires_at,
        "days_left": None if certification.status != Certification.Status.ACTIVE else _days_left(certification.expires_at, now),
        "ended_at": certification.ended_at,
        "end_reason": certification.end_reason,
        "methodology_version": certification.methodology_version,
        "suspended_by_audit": certification.suspended_by_audit_id,
    }


def _dimension_row(dimension: str, evaluation: Evaluation | None, pending: int, links: _Links) -> dict[str, Any]:
    threshold = THRESHOLDS[dimension]
    value = evaluation.value if evaluation is not None else None
    evidence = evidence_name(evaluation) if evaluation is not None else ""
    return {
        "dimension": dimension,
        "label": Dimension(dimension).label,
        "value": value,
        "value_text": None if value is None else _number(dimension, value),
        "unit": threshold.unit,
        "threshold": threshold.text,
        "margin": None if value is None else _number(dimension, margin(dimension, value)),
        "passes": None if value is None else threshold.passes(value),
        "estimated": bool(evaluation is not None and evaluation.estimated),
        "evaluation": evaluation.pk if evaluation is not None else None,
        "provenance": evaluation.provenance if evaluation is not None else None,
        "measured_at": evaluation.measured_at if evaluation is not None else None,
        "run": evaluation.run_id if evaluation is not None else None,
        "evidence_url": links("evaluation_evidence", evaluation.pk) if evidence and evaluation else None,
        "pending_review": pending,
    }


class _Links:
    """The URLs of a page of rows, reversed once each and filled in per object (reversing ~10 URLs per model
    was a third of the API's time)."""

    def __init__(self) -> None:
        self._patterns = {
            name: reverse(f"governance:{name}", args=["0"] if name == "evaluation_evidence" else ["slug-placeholder"])
            for name in ("model", "model_health", "model_feed", "evaluation_evidence")
        }
        self.my_models = reverse("governance:my_models")

    def __call__(self, name: str, value: str | int) -> str:
        placeholder = "/0/" if name == "evaluation_evidence" else "/slug-placeholder"
        replacement = f"/{value}/" if name == "evaluation_evidence" else f"/{value}"
        return self._patterns[name].replace(placeholder, replacement, 1)


def _step(code: str, text: str, action: str, url: str, dimension: str | None = None) -> dict[str, Any]:
    return {"code": code, "dimension": dimension, "text": text, "action": action, "url": url}


def next_steps(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per thing the owner can act on (missing, failing, pending review, expiring), each with its action:
    `evaluate` (start a verified evaluation on a portal runner, or submit a community value with evidence),
    `publish` (a new version), `wait` (for a review or running evaluations), or `none`."""
    steps: list[dict[str, Any]] = []
    health_url = row["health_url"]
    evaluate_url = f"{row['my_models_url']}#model-{row['slug']}"
    publish_url = f"{row['url']}#new-version"
    if row["suspended_by_audit"]:
        audit = row["suspended_by_audit"]
        text = _(
            "Certification suspended by audit #%(audit)s (a critical security finding): fix the model and publish a new version."
        )
        return [_step("suspended", text % {"audit": audit}, "publish", reverse("governance:audit", args=[audit]))]
    running = row["evaluation_running"]
    if running:
        text = _("Evaluation runs are queued or running: their values arrive when they finish.")
        steps.append(_step("running", text, "wait", health_url))
    for item in row["dimensions"]:
        label = item["label"]
        if item["value"] is None and item["pending_review"]:
            text = _("%(dimension)s: a community value waits for a second auditor's review.") % {"dimension": label}
            steps.append(_step("pending_review", text, "wait", health_url, item["dimension"]))
        elif item["value"] is None and not running:
            text = _(
                "%(dimension)s: no counted value. Start a verified evaluation, or submit a community value with evidence."
            ) % {"dimension": label}
            steps.append(_step("missing", text, "evaluate", evaluate_url, item["dimension"]))
        elif item["passes"] is False:
            text = _(
                "%(dimension)s: %(value)s does not pass %(threshold)s. Improve the model, publish a new version and evaluate it."
            ) % {"dimension": label, "value": item["value_text"], "threshold": item["threshold"]}
            steps.append(_step("failing", text, "publish", publish_url, item["dimension"]))
    days = row["days_left"]
    if row["state"] in {"certified", "expiring"} and days is not None and days <= EXPIRY_WARNING_DAYS and not running:
        text = ngettext(
            "Certification expires in %(days)s day (%(date)s): start a verified evaluation to renew it.",
            "Certification expires in %(days)s days (%(date)s): start a verified evaluation to renew it.",
            days,
        ) % {"days": days, "date": _date(row["certified_until"])}
        steps.append(_step("expiring", text, "evaluate", evaluate_url))
    if row["state"] == "not_certified" and not steps and row["current_version"]:
        text = _("All values pass but the certification has expired: start a verified evaluation to be certified again.")
        steps.append(_step("expired", text, "evaluate", evaluate_url))
    if not steps:
        text = _("Nothing to do: certified until %(date)s.") % {"date": _date(row["certified_until"])}
        steps.append(_step("none", text, "none", health_url))
    return steps


def owned_models(user: Any) -> QuerySet[CommunityModel]:
    """The models `user` owns, by slug (none for an anonymous visitor), for paging."""
    if not user.is_authenticated:
        return CommunityModel.objects.none()
    return CommunityModel.objects.filter(owners=user).order_by("slug")


def _with_state(models: QuerySet[CommunityModel]) -> QuerySet[CommunityModel]:
    """`models` (slug, name and current version) with, per dimension, the id of the current version's latest counted
    value (`<dimension>_id`: the row reads the value itself with its evidence) and the accepted security audit with a
    critical finding that suspends the certification (`suspending_audit`, the earliest decided; None if none).

    Four subqueries where `health.model_health_list`'s nine (values, estimate, certification in force, suspension)
    and a query for the audits were a third of the My models page: the certification in force is read from the
    models' certifications, which the rows list anyway."""
    annotations: dict[str, Any] = {f"{d}_id": Subquery(latest_counted(d).values("id")[:1]) for d in DIMENSIONS}
    annotations["suspending_audit"] = Subquery(suspending_audits(OuterRef("current_version_id")).values("pk")[:1])
    return (
        models.select_related("current_version")
        .only("slug", "name", "current_version__version")
        .annotate(**annotations)
        .order_by("slug")
    )


def owned_models_overview(user: Any, *, slug: str | None = None, among: Iterable[Any] | None = None) -> list[dict[str, Any]]:
    """Every model `user` owns (or just `slug`, or just the models `among`, if they own them), by slug, as the My
    models page and API show it (eight queries in all, whatever the number of models)."""
    now = timezone.now()
    owned = CommunityModel.objects.none()
    if user.is_authenticated:
        owned = _with_state(CommunityModel.objects.filter(owners=user))
    if slug is not None:
        owned = owned.filter(slug=slug)
    if among is not None:
        owned = owned.filter(pk__in=[model.pk for model in among])
    models: list[Any] = list(owned)  # annotated rows
    if not models:
        return []
    ids = [model.pk for model in models]
    current_of = {model.pk: model.current_version_id for model in models}
    current_ids = [model.current_version_id for model in models if model.current_version_id]
    latest_ids = [getattr(model, f"{d}_id") for model in models for d in DIMENSIONS if getattr(model, f"{d}_id")]
    latest = {
        e.pk: e
        for e in Evaluation.objects.filter(pk__in=latest_ids)
        .select_related("run")
        .only(*EVALUATION_FIELDS, "run__id", "run__output_notebook")
    }
    pending: dict[tuple[int, str], int] = {}
    for version_id, dimension in Evaluation.objects.filter(
        version_id__in=current_ids, status=Evaluation.Status.PENDING
    ).values_list("version_id", "dimension"):
        pending[(version_id, dimension)] = pending.get((version_id, dimension), 0) + 1
    busy = set(
        EvaluationRun.objects.filter(
            version_id__in=current_ids, run__status__in=[Run.Status.QUEUED, Run.Status.RUNNING]
        ).values_list("version_id", flat=True)
    )
    versions: dict[int, list[ModelVersion]] = {}
    listed = ModelVersion.objects.filter(model_id__in=ids).only("id", "model_id", "number", "version", "created_at")
    for version in listed.order_by("model_id", "-number"):
        versions.setdefault(version.model_id, []).append(version)
    certifications: dict[int, Certification] = {}
    certified_until: dict[int, datetime] = {}  # the certification in force: `health.certified_of_current_version`
    for certification in Certification.objects.filter(model_id__in=ids).order_by("version_id", "-valid_from", "-id"):
        certifications.setdefault(certification.version_id, certification)
        if (
            certification.status == Certification.Status.ACTIVE  # one active certification per version at most
            and certification.version_id == current_of[certification.model_id]
            and certification.expires_at > now
        ):
            certified_until[certification.model_id] = certification.expires_at
    money: dict[int, dict[str, list[dict[str, Any]]]] = {}
    allocations = (
        Allocation.objects.filter(model_id__in=ids)
        .filter(Q(quarter__status=Quarter.Status.FROZEN) | Q(quarter__stale=False, quarter__computations__gt=0))
        .select_related("quarter")
        .defer("quarter__manifest")  # every model of the quarter, repeated on each row otherwise
        .order_by("-quarter__label")
    )
    for allocation in allocations:
        quarter = allocation.quarter
        key = "frozen" if quarter.frozen else "projected"
        money.setdefault(allocation.model_id, {"frozen": [], "projected": []})[key].append(
            {
                "quarter": quarter.label,
                "amount_minor_units": allocation.amount_minor_units,
                "currency": quarter.currency,
                "amount": format_money(allocation.amount_minor_units, quarter.currency),
                "share": quarter.share,
                "at": quarter.frozen_at if quarter.frozen else quarter.computed_at,
            }
        )
    links = _Links()
    rows = []
    for model in models:
        version_id = model.current_version_id
        suspended_by = model.suspending_audit
        until = certified_until.get(model.pk)
        if suspended_by:
            state = "suspended"
        elif until is not None:
            state = "expiring" if (until - now).days < EXPIRY_WARNING_DAYS else "certified"
        else:
            state = "not_certified"
        row: dict[str, Any] = {
            "slug": model.slug,
            "name": model.name,
            "url": links("model", model.slug),
            "health_url": links("model_health", model.slug),
            "feed_url": links("model_feed", model.slug),
            "my_models_url": links.my_models,
            "current_version": model.current_version.version if model.current_version else None,
            "state": state,
            "certified_until": until,
            "days_left": _days_left(until, now),
            "suspended_by_audit": suspended_by,
            "evaluation_running": version_id in busy,
            "dimensions": [
                _dimension_row(d, latest.get(getattr(model, f"{d}_id")), pending.get((version_id, d), 0), links)
                for d in DIMENSIONS
            ],
            "versions": [
                {
                    "number": version.number,
                    "version": version.version,
                    "created_at": version.created_at,
                    "current": version.pk == version_id,
                    "certification": _certification_row(certifications[version.pk], now)
                    if version.pk in certifications
                    else None,
                }
                for version in versions.get(model.pk, [])
            ],
            "projected": money.get(model.pk, {}).get("projected", []),
            "frozen": money.get(model.pk, {}).get("frozen", []),
        }
        row["next_steps"] = next_steps(row)
        rows.append(row)
    return rows


def frozen_total(user: Any) -> dict[str, str]:
    """Currency → the formatted sum of every frozen quarter's amounts for the models `user` owns (one query)."""
    sums = (
        Allocation.objects.filter(model__in=owned_models(user), quarter__status=Quarter.Status.FROZEN)
        .values_list("quarter__currency")
        .annotate(total=Sum("amount_minor_units"))
        .order_by("quarter__currency")
    )
    return {currency: format_money(int(total), currency) for currency, total in sums}


def certification_events(model: CommunityModel, *, limit: int = 100) -> list[dict[str, Any]]:
    """A model's certification events, newest first, for its public Atom feed: each grant, each end (superseded,
    ended by a new version, suspended by an audit) and each expiry, with the time it happened."""
    from governance.certification_reasons import reason_text

    now = timezone.now()
    events: list[dict[str, Any]] = []
    certifications = model.certifications.select_related("version").order_by("-valid_from", "-id")[:limit]
    for c in certifications:
        version = c.version.version
        events.append(
            {
                "id": f"urn:go3s:certification:{c.pk}:granted",
                "kind": "granted",
                "at": c.valid_from,
                "title": _("%(model)s %(version)s certified until %(date)s")
                % {"model": model.slug, "version": version, "date": _date(c.expires_at)},
                "text": _("Methodology %(methodology)s; rests on values %(values)s.")
                % {"methodology": c.methodology_version, "values": ", ".join(f"#{pk}" for pk in c.evaluation_ids)},
            }
        )
        if c.expires_at <= now and (c.ended_at is None or c.ended_at > c.expires_at):
            events.append(
                {
                    "id": f"urn:go3s:certification:{c.pk}:expired",
                    "kind": "expired",
                    "at": c.expires_at,
                    "title": _("%(model)s %(version)s: certification expired") % {"model": model.slug, "version": version},
                    "text": ngettext(
                        "%(days)s day after its newest counted value.",
                        "%(days)s days after its newest counted value.",
                        CERTIFICATION_DAYS,
                    )
                    % {"days": CERTIFICATION_DAYS},
                }
            )
        if c.ended_at is not None:
            events.append(
                {
                    "id": f"urn:go3s:certification:{c.pk}:{c.status}",
                    "kind": c.status,
                    "at": c.ended_at,
                    "title": _("%(model)s %(version)s: certification %(status)s")
                    % {"model": model.slug, "version": version, "status": c.get_status_display()},
                    "text": reason_text(c.end_reason),
                }
            )
    events.sort(key=lambda event: (event["at"], event["id"]), reverse=True)
    return events[:limit]
