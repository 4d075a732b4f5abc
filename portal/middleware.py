"""Security headers on every response: a strict Content-Security-Policy and friends.

No page of the portal runs inline script, so `script-src 'self'` holds everywhere. A view that frames
something sets `request.csp_frame_src`, one that shows diagrams drawn with inline SVG styles sets
`request.csp_style_src`; a view that needs a different policy altogether (the API docs'
inline styles, a rendered notebook) sets its own header, which this middleware then leaves alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.utils.translation import gettext as _

from portal.api_errors import error_body


def content_security_policy(
    *, style_src: str = "'self'", frame_src: list[str] | None = None, form_action: list[str] | None = None
) -> str:
    """The page's CSP. `form_action` adds origins a form may be redirected to: the sign-in buttons POST to the
    portal, which redirects to GitHub or a university, and browsers check every hop of a form's redirects."""
    frames = " ".join(frame_src if frame_src is not None else settings.CSP_FRAME_SRC) or "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"frame-src {frames}",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *(form_action or [])]),
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        frame_src = getattr(request, "csp_frame_src", None)
        style_src = getattr(request, "csp_style_src", None)
        form_action = getattr(request, "csp_form_action", None)
        if frame_src is None and style_src is None and form_action is None:
            policy = self.policy
        else:
            policy = content_security_policy(
                style_src=style_src or "'self'",
                frame_src=[*settings.CSP_FRAME_SRC, *(frame_src or [])],
                form_action=form_action,
            )
        response.headers.setdefault("Content-Security-Policy", policy)
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
