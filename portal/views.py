from __future__ import annotations

from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.charts import column_chart
from accounts.errors import NotFound
from accounts.models import Role
from accounts.page_errors import page_errors
from accounts.selectors import role_counts, user_roles
from portal.api_errors import json_error_response


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"role_counts": role_counts()})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers a signed-in person's choice for the e-mails they get."""
    from django.views.i18n import set_language as switch

    from accounts.services import user_language_set

    response = switch(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(actor=request.user, language=request.POST.get("language", ""))
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and the test suite."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # noqa: BLE001 — reported, not raised: this endpoint exists to say what is down
        database = f"error: {type(error).__name__}"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database}, status=status)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the bundled sidecar files; its inline styles need a looser style-src only here."""

    schema = None  # a page, not part of the API it documents

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().get(request, *args, **kwargs)
        response._csp_replace = {"style-src": [SELF, UNSAFE_INLINE]}  # read by django-csp
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(request, 400, "bad_request", "Bad request.")
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else _("You do not have permission to do this.")
    if _is_api(request):
        return json_error_response(request, 403, "forbidden", message)
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(request, 404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error_response(request, 500, "server_error", "Something went wrong on our side; it has been logged.")
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _("Your form expired or came from another site (CSRF check failed). Reload the page and try again.")
    if _is_api(request):
        return json_error_response(request, 403, "csrf_failed", message)
    return render(request, "403.html", {"message": message}, status=403)


def _compute_community_figures() -> dict[str, Any]:
    """Public aggregate counts (no personal data): what the about page's figures link to."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from courses.models import DerivedProject, Institution
    from courses.selectors import download_figures
    from notebooks.models import Notebook, Run

    per_month = Run.objects.annotate(month=TruncMonth("created_at")).values("month").annotate(runs=Count("id")).order_by("month")
    months = [{"month": row["month"].strftime("%Y-%m"), "runs": row["runs"]} for row in per_month if row["month"]][-12:]
    return {
        "institutions": Institution.objects.count(),
        "roles": role_counts(),
        "notebooks": Notebook.objects.filter(is_active=True).count(),
        "runs_total": Run.objects.count(),
        "runs_succeeded": Run.objects.filter(status=Run.Status.SUCCEEDED).count(),
        "runs_per_month": months,
        "downloads": download_figures(),
        "derived_projects": DerivedProject.objects.filter(status=DerivedProject.Status.APPROVED).count(),
        "derived_project_awards": DerivedProject.objects.filter(status=DerivedProject.Status.APPROVED).exclude(award="").count(),
    }


def _community_figures() -> dict[str, Any]:
    """The public figures, recomputed at most once a minute: they aggregate every run and download."""
    from django.core.cache import cache

    figures = cache.get("portal:community-figures")
    if figures is None:
        figures = _compute_community_figures()
        cache.set("portal:community-figures", figures, 60)
    return dict(figures)


def stats(request: HttpRequest) -> HttpResponse:
    figures = _community_figures()
    months = figures["runs_per_month"]
    items = [(row["runs"], row["month"][2:], str(row["runs"]), f"{row['month']}: {row['runs']}") for row in months]
    chart = column_chart(items, step=44, column_width=32, plot_height=120, height=160, label_y=150) if months else None
    return render(request, "portal/stats.html", {"figures": figures, "chart": chart})


class StatsMonthSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="YYYY-MM")
    runs = serializers.IntegerField()


class StatsNotebookDownloadsSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    title_en = serializers.CharField()
    title_zh = serializers.CharField()
    downloads = serializers.IntegerField()
    institutions = serializers.IntegerField()


class StatsDownloadsSerializer(serializers.Serializer[Any]):
    bundles = serializers.IntegerField()
    institutions = serializers.IntegerField()
    per_notebook = StatsNotebookDownloadsSerializer(many=True)


class StatsApi(APIView):
    """Public aggregate counts of the community."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer[Any]):
        institutions = serializers.IntegerField()
        roles = serializers.DictField(child=serializers.IntegerField(), help_text="Role → how many hold it.")
        notebooks = serializers.IntegerField()
        runs_total = serializers.IntegerField()
        runs_succeeded = serializers.IntegerField()
        runs_per_month = StatsMonthSerializer(many=True)
        downloads = StatsDownloadsSerializer()
        derived_projects = serializers.IntegerField()
        derived_project_awards = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(_community_figures())


@page_errors
def methodology(request: HttpRequest, version: str) -> HttpResponse:
    """The model-health methodology, versioned: how each evaluation notebook measures, and the thresholds.

    Each version has an English text and a Chinese translation, chosen by the reader's language (English
    where a catalogue has no translation).
    """
    from accounts.languages import reader_language
    from guide.markdown import render as render_markdown

    folder = settings.NOTEBOOK_CATALOGUE_DIR / "evaluation"
    texts = {
        "v1": {"en": "METHODOLOGY.md", "zh-hans": "METHODOLOGY.zh-hans.md"},
        "v2": {"en": "METHODOLOGY-v2.md", "zh-hans": "METHODOLOGY-v2.zh-hans.md"},
    }
    if version not in texts:
        raise NotFound("No such methodology version.")
    available = {code: name for code, name in texts[version].items() if (folder / name).exists()}
    language = reader_language(available)
    path = folder / available.get(language, texts[version]["en"])
    if not path.exists():
        raise NotFound("This methodology text is missing.")
    source = path.read_text(encoding="utf-8")
    others = [other for other in texts if other != version]
    context = {"version": version, "body": render_markdown(source).html, "language": language, "others": others}
    return render(request, "portal/methodology.html", context)


def people(request: HttpRequest) -> HttpResponse:
    """The community's contributors: each role, how many hold it, what they did, and the most active people."""
    from portal.contributors import role_table, top_contributors

    table = role_table()
    for row in table:
        row["top"] = top_contributors(row["role"], limit=8)
    return render(request, "portal/people.html", {"table": table})


@page_errors
def person(request: HttpRequest, username: str) -> HttpResponse:
    """A contributor's public profile: their roles and what they did in each (no e-mail, nothing private)."""
    from accounts.models import User
    from portal.contributors import activity

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("No such person.")
    roles = user_roles(user)
    figures = [
        (role, label, rows) for role, rows in activity(user).items() if role in roles for label in [dict(Role.choices)[role]]
    ]
    return render(request, "portal/person.html", {"person": user, "roles": sorted(roles), "figures": figures})


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """What needs me, by role: audits to decide, my drafts, regressions, approvals, my courses and runs, my inbox."""
    from accounts.notifications import notifications_for
    from governance.models import Audit, Evaluation
    from governance.selectors.audits import audit_list_for_user, audit_review_queue
    from notebooks.selectors import run_list_for_user
    from toolchain.selectors import regression_list

    user = request.user
    roles = user_roles(user)
    context: dict[str, Any] = {
        "roles": roles,
        "inbox": notifications_for(user).filter(read_at__isnull=True, resolved_at__isnull=True)[:8],  # type: ignore[arg-type]
        "runs": run_list_for_user(user)[:5],
    }
    if Role.AUDITOR in roles:
        context["to_decide"] = audit_review_queue(user)[:10]
        context["my_open_audits"] = audit_list_for_user(user, mine=True).exclude(
            status__in=[Audit.Status.ACCEPTED, Audit.Status.REJECTED]
        )[:10]
        context["values_to_review"] = (
            Evaluation.objects.filter(status=Evaluation.Status.PENDING).exclude(submitted_by_id=user.pk).count()
        )
    if Role.TOOLCHAIN_MAINTAINER in roles:
        context["regressions"] = regression_list()[:10]
    if roles & {Role.STEWARD, Role.ADMINISTRATOR}:
        from accounts.selectors import role_application_list_pending

        context["applications"] = role_application_list_pending().count()
    from governance.models import CommunityModel
    from portal.my_work import sections

    context["owned_models"] = CommunityModel.objects.filter(owners=actor_of(request)).count()
    context.update(sections(user, roles))
    return render(request, "portal/my_work.html", context)
