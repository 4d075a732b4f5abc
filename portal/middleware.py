"""Security headers on every response: a strict Content-Security-Policy and friends.

No page of the portal runs inline script, so `script-src 'self'` holds everywhere. A view that frames
something sets `request.csp_frame_src`, one that shows diagrams drawn with inline SVG styles sets
`request.csp_style_src`; a view that needs a different policy altogether (the API docs'
inline styles, a rendered notebook) sets its own header, which this middleware then leaves alone.
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
        frame_src = getattr(request, "csp_frame_src", None)
        style_src = getattr(request, "csp_style_src", None)
        if frame_src is None and style_src is None:
            policy = self.policy
        else:
            policy = content_security_policy(
                style_src=style_src or "'self'", frame_src=[*settings.CSP_FRAME_SRC, *(frame_src or [])]
            )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
