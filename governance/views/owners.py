"""Owners' pages: My models (what to do to stay eligible) and each model's public Atom feed of certification events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from accounts.selectors import github_login_for_user
from governance.models import CommunityModel
from governance.selectors import owners as selectors

PER_PAGE = 10


@login_required
def my_models(request: HttpRequest) -> HttpResponse:
    """The models the signed-in person owns, 10 to a page; other people's models never appear."""
    page = Paginator(selectors.owned_models(request.user).only("pk"), PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "rows": selectors.owned_models_overview(request.user, among=page.object_list),
        "frozen_total": selectors.frozen_total(request.user),
        # The payout identity of the owner's models in sponsorship exports (governance.selectors.quarter_evidence).
        "github_login": github_login_for_user(request.user),
    }
    return render(request, "governance/owners/my_models.html", context)


class CertificationFeed(Feed):
    """`/models/<slug>/certifications.atom`: public (models and their health are public), 404 for an unknown slug."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> CommunityModel:
        model = CommunityModel.objects.filter(slug=slug).first()
        if model is None:
            raise Http404("No such model.")
        return model

    def title(self, obj: CommunityModel) -> str:
        return _("%(model)s: certification events") % {"model": obj.slug}

    def subtitle(self, obj: CommunityModel) -> str:
        return _("Grants, expiries, suspensions and resets of the certification of %(model)s on the Go3s portal.") % {
            "model": obj.name
        }

    def link(self, obj: CommunityModel) -> str:
        return reverse("governance:model_health", args=[obj.slug])

    def feed_url(self, obj: CommunityModel) -> str:
        return reverse("governance:model_feed", args=[obj.slug])

    def items(self, obj: CommunityModel) -> list[dict[str, Any]]:
        self._model = obj
        return selectors.certification_events(obj)

    def item_title(self, item: dict[str, Any]) -> str:
        return str(item["title"])

    def item_description(self, item: dict[str, Any]) -> str:
        return str(item["text"])

    def item_link(self, item: dict[str, Any]) -> str:
        return reverse("governance:model_health", args=[self._model.slug]) + "#certification-history"

    def item_guid(self, item: dict[str, Any]) -> str:
        return str(item["id"])

    def item_pubdate(self, item: dict[str, Any]) -> datetime:
        at: datetime = item["at"]
        return at

    def item_updateddate(self, item: dict[str, Any]) -> datetime:
        return self.item_pubdate(item)

    def item_categories(self, item: dict[str, Any]) -> list[str]:
        return [str(item["kind"])]
