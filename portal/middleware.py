"""Security headers on every response: a strict Content-Security-Policy and friends.

No page of the portal runs inline script, so `script-src 'self'` holds everywhere. A view that needs
something else (the API docs' inline styles, a rendered-notebook frame) sets its own policy header,
which this middleware then leaves alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy(*, style_src: str = "'self'", frame_src: list[str] | None = None) -> str:
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
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
