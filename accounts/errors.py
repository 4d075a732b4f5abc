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


# Every `code` an API error may carry: the OpenAPI schema declares `Error.code` as this enum, so a generated
# client can match on it. Closed by construction: tests/portal/test_api_contract.py finds every code the source
# raises and requires it here; `portal.api_errors.error_body` answers `error` for anything else.
ERROR_CODES = (
    # generic, by status
    "invalid", "bad_request", "parse_error", "not_authenticated", "authentication_failed", "bad_credentials",
    "forbidden", "permission_denied", "csrf_failed", "not_found", "method_not_allowed", "not_acceptable", "conflict",
    "too_large", "unsupported_media_type", "throttled", "locked_out", "service_unavailable", "server_error", "error",
    # accounts and roles
    "application_pending", "already_decided", "no_role", "role_held", "role_not_held", "confirmation_required",
    # notebooks and runs
    "catalogue_incomplete", "invalid_notebook", "invalid_parameters", "notebook_retired", "run_ended",
    "too_many_active_runs", "weekly_runner_time_used", "limit_exceeded", "limit_out_of_range",
    # registry, audits, health
    "already_declared", "already_reviewed", "evaluation_running", "four_eyes", "invalid_package", "invalid_upload",
    "package_check_limit",
    "no_version", "not_auditor", "not_current", "not_editable", "not_submitted", "slug_taken", "version_exists",
    # curation and toolchain
    "arbitration_open", "csv_rejected", "dataset_empty", "dataset_not_draft", "draft_exists", "flag_not_true_positive",
    "flag_resolved", "item_removed", "label_exists", "not_curator", "not_maintainer", "pii_open", "pii_unscanned",
    "scan_running", "unknown_label",
    # sponsorship
    "inconsistent", "no_exchange_rate", "not_computed", "not_frozen", "quarter_exists", "quarter_frozen",
    "seal_mismatch", "stale",
    # courses
    "already_enrolled", "bad_invite_code", "course_exists", "empty_bundle", "no_institution", "run_quota_used",
    # labs (JupyterHub)
    "lab_notebook_missing",
    # LMS launches
    "already_bound", "lti_missing_claims", "lti_no_roster", "lti_not_instructor", "lti_replayed", "lti_unbound",
)  # fmt: skip
