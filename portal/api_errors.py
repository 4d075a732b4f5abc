"""One exception handler for the API: every error is `{"error": {"code", "message", "fields"}}`.

400 bad input, 401 not signed in, 403 not allowed, 404 not found or not visible, 409 wrong state, 413 too
large, 503 a required service is down. Bad input never becomes a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.errors import ERROR_CODES, ApplicationError

_KNOWN_CODES = frozenset(ERROR_CODES)


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The error shape. `code` is one of the schema's enum (`accounts.errors.ERROR_CODES`): a code outside it
    (a library's own) is sent as `error`, so a generated client that parses the enum strictly never fails on it."""
    return {"error": {"code": code if code in _KNOWN_CODES else "error", "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field" or "field.sub": [messages]}`."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        return Response(error_body("invalid", "Invalid input.", _flatten(exc.detail)), status=400)
    if isinstance(exc, DjangoValidationError):
        return Response(
            error_body("invalid", "Invalid input.", _flatten(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)),
            status=400,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("too_large", "The request body is too large."), status=413)
    if isinstance(exc, BrokerError):
        return Response(
            error_body("service_unavailable", "The task queue is unreachable; nothing was queued. Try again shortly."),
            status=503,
            headers={"Retry-After": "30"},
        )
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("forbidden", str(exc) or "You do not have permission to do this."), status=403)
    if isinstance(exc, exceptions.APIException):
        request = context.get("request")
        status = exc.status_code
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            status = 401
            authenticator = getattr(request, "_authenticator", None) if request is not None else None
            headers["WWW-Authenticate"] = (
                'Token realm="api"'
                if authenticator is None
                else (authenticator.authenticate_header(request) or 'Token realm="api"')
            )
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            headers["Retry-After"] = str(int(wait))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Invalid request."
        return Response(error_body(str(code), message), status=status, headers=headers)
    return None


def json_error_response(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)
