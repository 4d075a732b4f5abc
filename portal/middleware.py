"""Security headers on every response and the request bounds.

The Content-Security-Policy comes from django-csp (`CONTENT_SECURITY_POLICY` in settings, per-view changes with
`accounts.csp.csp_replaced`, form targets found while rendering in `request.csp_form_action`); the other security
headers are set here.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.utils.translation import gettext as _

from portal.api_errors import error_body


class SecurityHeadersMiddleware:
    """The headers besides the Content-Security-Policy (django-csp's middleware writes that one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        form_action = getattr(request, "csp_form_action", None)
        if form_action:
            # Origins this page's forms end up at (a sign-in button posts to the portal, which redirects to the
            # provider; an LTI reply is posted to the LMS): browsers check every hop of a form's redirects.
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *form_action]
            response._csp_update = update  # type: ignore[attr-defined]  # read by django-csp's middleware, outside this one
        if settings.DEBUG and response.status_code in (404, 500):
            # django-csp leaves error pages without a policy under DEBUG (for Django's own debug pages); the
            # portal's error pages are its own templates and carry the site's policy like every other response.
            response.headers.setdefault("Content-Security-Policy", build_policy())
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


def request_max_bytes() -> int:
    """The largest body any endpoint accepts: the biggest upload limit plus room for multipart framing."""
    uploads = (
        settings.GOVERNANCE_ONNX_MAX_BYTES + settings.GOVERNANCE_EVAL_MAX_BYTES,
        settings.GOVERNANCE_EVIDENCE_MAX_BYTES,
        settings.NOTEBOOK_UPLOAD_MAX_BYTES,
        settings.CURATION_UPLOAD_MAX_BYTES,
        settings.COURSES_CSV_MAX_BYTES,
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )
    return max(uploads) + 1024 * 1024


class RequestBoundsMiddleware:
    """Refuses a body before anything reads it: a Content-Length that is not a plain decimal number is 400,
    one over the largest upload any endpoint takes is 413 naming the limit. Later code may then trust
    `int(request.META["CONTENT_LENGTH"])`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH")
        if declared not in (None, ""):
            text = str(declared).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                return self._refuse(request, 400, "bad_request", _("The Content-Length header is not a number of bytes."))
            limit = request_max_bytes()
            if int(text) > limit:
                message = _("The request body is too large: at most %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
                return self._refuse(request, 413, "too_large", message)
            request.META["CONTENT_LENGTH"] = text
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(code, message), status=status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class ApiPathMiddleware:
    """Every `/api/` answer is JSON, whatever the path.

    A path that matches no route is a JSON 404 here, before Django's HTML 404 (or its debug page). A path that
    matches only with a trailing slash is served as if it had one: CommonMiddleware's APPEND_SLASH would answer
    with a redirect that generated clients do not follow, and a POST's redirect loses its body (in DEBUG it is
    a RuntimeError, a 500). Wrong methods are DRF's JSON 405.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/api/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf):
                if path.endswith("/") or not is_valid_path(f"{path}/", urlconf):
                    return JsonResponse(error_body("not_found", _("No API endpoint has this path.")), status=404)
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)
