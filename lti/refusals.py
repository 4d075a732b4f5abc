"""Why a launch was refused, in words the person can act on (both languages), from pylti1p3's messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

REASONS = {
    "lti_unknown_platform": _("This LMS is not registered with the portal. Ask the portal's administrator to register it."),
    "lti_wrong_audience": _("The launch was meant for another tool: its audience is not this portal's client id."),
    "lti_unknown_deployment": _("This deployment of the LMS is not registered with the portal."),
    "lti_bad_signature": _("The launch's signature does not match the LMS's published keys."),
    "lti_expired": _("The launch has expired. Open the activity again from your LMS."),
    "lti_replayed": _("This launch was already used. Open the activity again from your LMS."),
    "lti_bad_state": _("The launch did not start from this browser. Open the activity again from your LMS."),
    "lti_missing_claims": _("The launch lacks information the portal needs: %(missing)s."),
    "lti_bad_token": _("The launch could not be read."),
    "lti_keyset_unreachable": _("The LMS's public keys could not be fetched. Try again in a moment."),
    "lti_not_instructor": _("Only an instructor of the LMS course can add content from it."),
    "lti_unbound": _("Your instructor has not connected this LMS course to the portal yet."),
    "lti_no_launch": _("Open this page from your LMS: there is no launch in progress."),
}
STATUS = {"lti_not_instructor": 403, "lti_unbound": 409, "lti_no_launch": 404}

# Substrings of pylti1p3's exception messages (and of this app's tool configuration) → reason.
_LIBRARY_MESSAGES = (
    ("unknown_platform", "lti_unknown_platform"),
    ("wrong_audience", "lti_wrong_audience"),
    ("Client id not registered", "lti_wrong_audience"),
    ("Unable to find deployment", "lti_unknown_deployment"),
    ("Invalid Nonce", "lti_replayed"),
    ("Signature has expired", "lti_expired"),
    ("Signature verification failed", "lti_bad_signature"),
    ("Unable to find public key", "lti_bad_signature"),
    ("JWT KID not found", "lti_bad_signature"),
    ("Error during fetch URL", "lti_keyset_unreachable"),
    ("State not found", "lti_bad_state"),
    ("Missing state", "lti_bad_state"),
    ("is empty", "lti_missing_claims"),
    ("Missing", "lti_missing_claims"),
    ("Must have", "lti_missing_claims"),
    ("Incorrect version", "lti_missing_claims"),
    ("message type", "lti_missing_claims"),
    ("deployment_id is not set", "lti_missing_claims"),
    ("Could not find", "lti_missing_claims"),
)


def reason_of(message: str) -> str:
    return next((code for part, code in _LIBRARY_MESSAGES if part in message), "lti_bad_token")
