"""Pages and endpoints of the lab: the OAuth userinfo JupyterHub reads, "Open in JupyterLab", "Submit my lab
notebook", and a lab submission's changes. Each is three steps: check, one service or selector, answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.decorators import protected_resource

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound
from courses.selectors import assignment_get_for_user, submission_get_for_user
from labs import services
from labs.diff import cell_changes
from labs.userinfo import userinfo as userinfo_of
from notebooks.selectors import notebook_get


@require_GET
@protected_resource(scopes=["profile"])
def userinfo(request: HttpRequest) -> JsonResponse:
    """The signed-in person, for JupyterHub's GenericOAuthenticator (a bearer token with the `profile` scope)."""
    return JsonResponse(userinfo_of(request.resource_owner))  # type: ignore[attr-defined]


def _lab_refused(request: HttpRequest, error: ApplicationError, fallback: str) -> HttpResponse:
    """Not allowed: the 403 page. Anything else (the Hub down, no copy to submit, a quota used): back to the
    page the button was on, saying why."""
    if isinstance(error, NotAllowed):
        return render(request, "403.html", {"message": error.message}, status=403)
    messages.error(request, error.message)
    return redirect(fallback)


def _to_lab(request: HttpRequest, url: str) -> HttpResponse:
    """A page that goes on to the lab: the portal's CSP (`form-action 'self'`) forbids a form's redirect to
    the Hub's origin, so the browser is sent there by a refresh and a link instead."""
    return render(request, "labs/opening.html", {"url": url})


@login_required
@require_POST
def open_notebook(request: HttpRequest, slug: str) -> HttpResponse:
    user = actor_of(request)
    try:
        notebook = notebook_get(slug)
    except NotFound:
        return render(request, "404.html", status=404)
    try:
        url = services.lab_open_notebook(actor=user, notebook=notebook)
    except ApplicationError as error:
        return _lab_refused(request, error, reverse("notebooks:notebook", args=[slug]))
    return _to_lab(request, url)


@login_required
@require_POST
def open_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    try:
        assignment, _access = assignment_get_for_user(user, pk)
        url = services.lab_open_assignment(actor=user, assignment=assignment)
    except NotFound:
        return render(request, "404.html", status=404)
    except ApplicationError as error:
        return _lab_refused(request, error, reverse("courses:assignment", args=[pk]))
    return _to_lab(request, url)


@login_required
@require_POST
def submit_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    try:
        assignment, _access = assignment_get_for_user(user, pk)
        submission = services.lab_submit(actor=user, assignment=assignment)
    except NotFound:
        return render(request, "404.html", status=404)
    except ApplicationError as error:
        return _lab_refused(request, error, reverse("courses:assignment", args=[pk]))
    messages.success(request, _("Your lab notebook was submitted: its run has started."))
    return redirect("notebooks:run", pk=submission.run_id)


@login_required
@require_GET
def submission_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What a student changed in their lab notebook, cell by cell, against the assignment's version."""
    try:
        submission, _access = submission_get_for_user(actor_of(request), pk)
    except NotFound:
        return render(request, "404.html", status=404)
    run = submission.run
    if not run.input_source:
        return render(request, "404.html", status=404)
    context = {
        "submission": submission,
        "assignment": submission.assignment,
        "changes": cell_changes(run.version.source, run.input_source),
    }
    return render(request, "labs/submission_changes.html", context)
