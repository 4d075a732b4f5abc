"""The one domain error type. Services raise it; `portal.api_errors` and the page views map it to HTTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApplicationError(Exception):
    """A refusal a user can act on. `status` is the HTTP status it maps to; `code` is machine-readable."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = {name: list(errors) for name, errors in (fields or {}).items()}


class NotAllowed(ApplicationError):
    status = 403
    default_code = "forbidden"


class NotFound(ApplicationError):
    status = 404
    default_code = "not_found"


class WrongState(ApplicationError):
    status = 409
    default_code = "conflict"


class TooLarge(ApplicationError):
    status = 413
    default_code = "too_large"


class ServiceUnavailable(ApplicationError):
    status = 503
    default_code = "service_unavailable"
