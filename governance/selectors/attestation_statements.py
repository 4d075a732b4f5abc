"""The in-toto Statements the portal signs: one per frozen quarter, one per certification."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.errors import NotFound, WrongState
from governance import attestations
from governance.models import Certification, Quarter
from governance.selectors import quarter_evidence


def quarter_statement(quarter: Quarter) -> dict[str, Any]:
    """Subject: the quarter's manifest file (its SHA-256 is the seal). Predicate: the totals people pay from."""
    if not quarter.frozen or not isinstance(quarter.manifest, dict):
        raise WrongState(f"Quarter {quarter.label} is not frozen: it has no attestation yet.", code="not_frozen")
    manifest = quarter.manifest
    predicate = {
        key: manifest.get(key)
        for key in (
            "quarter",
            "period",
            "computed_at",
            "frozen_at",
            "rule_version",
            "methodology_version",
            "currency",
            "usd_exchange_rate",
            "pool_minor_units",
            "allocated_minor_units",
            "unallocated_minor_units",
        )
    }
    predicate["eligible_count"] = len(manifest.get("eligible") or {})
    predicate["manifest_url"] = reverse("api-quarter-manifest", args=[quarter.label])
    return attestations.statement(
        subject=[{"name": f"manifest-{quarter.label}.json", "digest": {"sha256": quarter.manifest_sha256}}],
        predicate_type=attestations.QUARTER_PREDICATE,
        predicate=predicate,
    )


def certification_statement(pk: int) -> dict[str, Any]:
    """Subject: the certified version's ONNX file. Predicate: the certification's terms and the evaluations behind it,
    each with its run and the SHA-256 of its output notebook or evidence file (the same record a quarter seals)."""
    certification = Certification.objects.select_related("model", "version").filter(pk=pk).first()
    if certification is None:
        raise NotFound("No such certification.")
    record = quarter_evidence.models_record(Certification.objects.filter(pk=pk))[certification.model.slug]
    version = certification.version
    return attestations.statement(
        subject=[
            {
                "name": f"{certification.model.slug}@{version.version}/model.onnx",
                "digest": {"sha256": version.onnx_sha256},
            }
        ],
        predicate_type=attestations.CERTIFICATION_PREDICATE,
        predicate={"model": certification.model.slug, **record},
    )
