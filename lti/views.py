"""Pages and endpoints of the LMS link: the LTI login and launch, the portal's keys, the setup values
for LMS administrators, binding an LMS course, the deep-linking picker and the course's LMS page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.exception import LtiException, OIDCException

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotFound
from courses.selectors import course_get_for_user, is_portal_admin
from lti import claims, selectors
from lti.forms import BindForm, NotebookPickForm
from lti.launch_store import DatabaseLaunchStorage
from lti.refusals import REASONS, STATUS, reason_of
from lti.services.launches import LaunchRefused, context_bind, launch_accept
from lti.tool_conf import PlatformToolConf

log = logging.getLogger(__name__)
PENDING = "lti_pending"


def refusal(request: HttpRequest, code: str, *, missing: str = "", status: int | None = None) -> HttpResponse:
    sentence = str(REASONS.get(code, REASONS["lti_bad_token"])) % {"missing": missing}
    return render(request, "lti/refused.html", {"reason": sentence, "code": code}, status=status or STATUS.get(code, 400))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login_initiation(request: HttpRequest) -> HttpResponse:
    """Third-party initiated login: the LMS sends the browser here; it goes back to the LMS's
    authentication endpoint with a state (also in a cookie) and a nonce the launch must carry."""
    oidc = DjangoOIDCLogin(request, PlatformToolConf(), launch_data_storage=DatabaseLaunchStorage())
    try:
        response: HttpResponse = oidc.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (LtiException, OIDCException) as error:
        return refusal(request, reason_of(str(error)))
    return response


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """The LMS posts the signed id_token here (the redirect URI). Checked by pylti1p3 (state, signature
    against the LMS's keyset, issuer and audience against a registered platform, deployment, message) and
    here (nonce used once, required claims); then the person is signed in and sent where the launch points."""
    conf = PlatformToolConf()
    message = DjangoMessageLaunch(request, conf, launch_data_storage=DatabaseLaunchStorage())
    try:
        body: dict[str, Any] = dict(message.get_launch_data())
    except (LtiException, OIDCException) as error:
        log.info("LTI launch refused: %s", error)
        return refusal(request, reason_of(str(error)))
    missing = claims.missing_claims(body)
    if missing:
        return refusal(request, "lti_missing_claims", missing=", ".join(missing))
    platform = conf.platform
    assert platform is not None  # found while validating
    audiences = body["aud"] if isinstance(body["aud"], list) else [body["aud"]]
    if len(audiences) > 1 and body.get("azp") != platform.client_id:
        return refusal(request, "lti_wrong_audience")
    try:
        landing = launch_accept(platform=platform, body=body)
    except LaunchRefused as error:
        return refusal(request, error.code)
    login(request, landing.user, backend="django.contrib.auth.backends.ModelBackend")
    if landing.pending:
        request.session[PENDING] = landing.pending
    if landing.roster_context_id is not None:
        _queue_roster(landing.roster_context_id)
    return redirect(landing.url)


def _queue_roster(context_id: int) -> None:
    from lti.tasks import roster_sync

    try:
        roster_sync.delay(context_id)
    except Exception:  # the roster is a convenience: the launch itself succeeded
        log.exception("roster sync of LMS course %s could not start", context_id)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The portal's public keys (one per registered platform), for LMSs checking what the portal signs."""
    return JsonResponse({"keys": selectors.public_keys()})


@login_required
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    """What an LMS administrator enters when registering the portal (staff and administrators only)."""
    if not (request.user.is_staff or is_portal_admin(request.user)):
        return render(request, "403.html", status=403)
    return render(request, "lti/setup.html", {"urls": selectors.tool_urls(request), "platforms": selectors.platform_list()})


def _pending(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(PENDING)
    return pending if isinstance(pending, dict) else None


@login_required
@require_http_methods(["GET", "POST"])
def bind(request: HttpRequest) -> HttpResponse:
    """An instructor launched from an LMS course the portal does not know: pick one of their courses or
    create one; then on to where the launch pointed (the deep-linking picker or the course)."""
    pending = _pending(request)
    if pending is None or "binding" in pending:
        return refusal(request, "lti_no_launch")
    actor = actor_of(request)
    form = BindForm(request.POST or None, actor=actor, pending=pending)
    if request.method == "POST" and form.is_valid():
        try:
            course = form.chosen_course()
            binding = context_bind(actor=actor, platform_id=pending["platform"], pending=pending, course=course)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            if pending["message_type"] == claims.DEEP_LINKING_REQUEST:
                request.session[PENDING] = {**pending, "binding": binding.pk}
                return redirect("lti:deep_link")
            request.session.pop(PENDING, None)
            return redirect("courses:course", pk=course.pk)
    return render(request, "lti/bind.html", {"form": form, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """The deep-linking picker: a catalogue notebook becomes an assignment and goes back to the LMS."""
    from lti.services.deep_linking import deep_link_assignment

    pending = _pending(request)
    binding = selectors.binding_for_pending(pending)
    if pending is None or binding is None:
        return refusal(request, "lti_no_launch")
    actor = actor_of(request)
    form = NotebookPickForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = deep_link_assignment(
                actor=actor,
                binding=binding,
                pending=pending,
                notebook=form.cleaned_data["notebook"],
                title=form.cleaned_data["title"],
                launch_url=request.build_absolute_uri(reverse("lti:launch")),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            request.session.pop(PENDING, None)
            request.csp_form_action = [_origin_posted_to(reply.return_url)]  # type: ignore[attr-defined]
            return render(request, "lti/deep_link_return.html", {"reply": reply})
    return render(request, "lti/deep_link.html", {"form": form, "binding": binding})


def _origin_posted_to(url: str) -> str:
    """The LMS's origin, which the page's policy lets the signed reply be posted to."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(c in parts.netloc for c in " ;,'\""):
        raise Http404
    return f"{parts.scheme}://{parts.netloc}"


@login_required
@require_GET
def course_links(request: HttpRequest, pk: int) -> HttpResponse:
    """The LMS courses bound to a portal course, their roster state and the scores on their way (overseers)."""
    try:
        course, access = course_get_for_user(actor_of(request), pk)
    except NotFound:
        raise Http404 from None
    if not access.oversees:
        raise Http404
    return render(
        request,
        "lti/course_links.html",
        {
            "course": course,
            "access": access,
            "bindings": selectors.bindings_of(course),
            "sends": selectors.grade_sends_of(course),
        },
    )


@login_required
@require_POST
def roster_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """An instructor reads the roster from the LMS now."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from lti.services.roster import roster_sync as sync

    try:
        binding = selectors.binding_get_for_user(actor_of(request), pk)
    except NotFound:
        raise Http404 from None
    try:
        count = sync(actor=actor_of(request), binding=binding)
    except ApplicationError as error:
        messages.error(request, error.message)
    except LtiException as error:
        log.warning("roster of LMS course %s could not be read: %s", binding.pk, error)
        messages.error(request, _("The LMS did not answer. Try again later."))
    else:
        messages.success(request, _("%(count)d members read from the LMS.") % {"count": count})
    return redirect("lti:course_links", pk=binding.course_id)
