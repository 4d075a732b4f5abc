"""Registry pages: the model list, a model's page (card, versions, health, audits), registering and new versions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import actor_of
from accounts.errors import ApplicationError
from accounts.page_errors import form_add_service_errors, page_errors
from governance.archive_limits import read_upload
from governance.forms.registry import ModelForm, VersionForm
from governance.packages import read_package
from governance.selectors import audits as audit_selectors
from governance.selectors import health as health_selectors
from governance.selectors import registry as selectors
from governance.services import registry as services


def model_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:80]
    page = Paginator(selectors.model_list(search=query), 50).get_page(request.GET.get("page"))
    return render(request, "governance/registry/list.html", {"page": page, "q": query})


def _package_from_form(form: Any) -> Any:
    data = form.cleaned_data
    return read_package(
        onnx_bytes=read_upload(data["onnx_file"], "onnx_file", settings.GOVERNANCE_ONNX_MAX_BYTES),
        eval_bytes=read_upload(data["eval_file"], "eval_file", settings.GOVERNANCE_EVAL_MAX_BYTES),
        metadata=read_upload(data["metadata_file"], "metadata_file", 1024 * 1024),
    )


@login_required
def model_create(request: HttpRequest) -> HttpResponse:
    form = ModelForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            model = services.model_create(
                actor=actor_of(request),
                slug=data["slug"],
                name=data["name"],
                summary=data["summary"],
                version=data["version"],
                licence=data["licence"],
                model_card=data["model_card"],
                package=_package_from_form(form),
            )
        except ApplicationError as error:
            form_add_service_errors(form, error)
            return render(request, "governance/registry/new.html", {"form": form}, status=error.status)
        messages.success(request, _("Model registered with its evaluation package."))
        return redirect("governance:model", slug=model.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "governance/registry/new.html", {"form": form}, status=status)


def badge_snippets(request: HttpRequest, slug: str) -> dict[str, str]:
    """The README snippets of a model's badge (in the page's language), linking to its public health page."""
    language = get_language() or settings.LANGUAGE_CODE
    image = request.build_absolute_uri(f"{reverse('governance:badge', args=[slug])}?lang={language}")
    health = request.build_absolute_uri(reverse("governance:model_health", args=[slug]))
    alt = _("Go3s health of %(model)s") % {"model": slug}
    return {
        "image": image,
        "health": health,
        "markdown": f"[![{alt}]({image})]({health})",
        "html": format_html('<a href="{}"><img src="{}" alt="{}" height="20"></a>', health, image, alt),
    }


@page_errors
def model_detail(request: HttpRequest, slug: str) -> HttpResponse:
    health = health_selectors.model_health_summary(slug)
    model = health["_model"]
    user = request.user
    audits = audit_selectors.audit_list_for_user(user, model=slug)[:20] if user.is_authenticated else []
    context = {
        "model": model,
        "health": health,
        "badge": badge_snippets(request, model.slug),
        "versions": selectors.model_versions(model),
        "owners": model.owners.all(),
        "is_owner": user.is_authenticated and model.owners.filter(pk=user.pk).exists(),
        "audits": audits,
        "version_form": VersionForm(),
    }
    return render(request, "governance/registry/detail.html", context)


@login_required
@require_POST
@page_errors
def model_version_create(request: HttpRequest, slug: str) -> HttpResponse:
    model = selectors.model_get(slug)
    services.require_owner(actor=actor_of(request), model=model, action="model.version_create")
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ApplicationError(
            _("Check the new version's fields."), fields={k: [str(e) for e in v] for k, v in form.errors.items()}
        )
    data = form.cleaned_data
    services.model_version_create(
        actor=actor_of(request),
        model=model,
        version=data["version"],
        licence=data["licence"],
        model_card=data["model_card"],
        package=_package_from_form(form),
    )
    messages.success(request, _("New version added. Its health starts empty: certification does not carry over."))
    return redirect("governance:model", slug=slug)


@login_required
@require_POST
@page_errors
def conflict_declare(request: HttpRequest, slug: str) -> HttpResponse:
    services.conflict_declare(actor=actor_of(request), model=selectors.model_get(slug), reason=request.POST.get("reason", ""))
    messages.success(request, _("Conflict of interest recorded: you will not decide audits of this model."))
    return redirect("governance:model", slug=slug)
