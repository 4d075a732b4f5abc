"""The API docs' groups: one tag per operation, by path (imported by settings, so no Django imports)."""

from __future__ import annotations

import re

# The API docs group operations by these tags, in this order; the first matching path pattern wins.
API_TAGS = [
    ("accounts", "Sign-in tokens, the signed-in person, roles and role applications."),
    ("notebooks", "The notebook catalogue and its typed parameters."),
    ("runs", "Notebook runs: submit, follow, cancel."),
    ("models", "The model registry: models, versions, conflicts of interest."),
    ("audits", "Security, bias and compliance audits with four-eyes decisions."),
    ("curation", "Datasets, annotator agreement, arbitration and the privacy (PII) review."),
    ("toolchain", "Benchmarks, results, regressions and the runner fleet."),
    ("health", "Model health: evaluations, evaluation runs, certification."),
    ("sponsorship", "Quarters, allocations, the sealed manifest and exports."),
    ("courses", "Courses, assignments and derived projects."),
    ("stats", "Public aggregate figures."),
]
_TAG_RULES = [
    (r"^/api/v1/models/[^/]+/(health|evaluations|evaluation-runs)/", "health"),
    (r"^/api/v1/(evaluations|certifications|health)/", "health"),
    (r"^/api/v1/me/models/", "health"),
    (r"^/api/v1/(auth|me|roles)/", "accounts"),
    (r"^/api/v1/notebooks/", "notebooks"),
    (r"^/api/v1/runs/", "runs"),
    (r"^/api/v1/models/", "models"),
    (r"^/api/v1/audits/", "audits"),
    (r"^/api/v1/(datasets|pii-terms)/", "curation"),
    (r"^/api/v1/(benchmarks|regressions|runners)/", "toolchain"),
    (r"^/api/v1/(sponsorship|attestations)/", "sponsorship"),
    (r"^/api/v1/(courses|assignments|derived-projects)/", "courses"),
    (r"^/api/v1/stats/", "stats"),
]


def tag_for_path(path: str) -> str | None:
    return next((tag for pattern, tag in _TAG_RULES if re.match(pattern, path)), None)
