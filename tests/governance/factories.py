"""Registered models with real evaluation packages, counted values and certifications, for governance tests."""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from governance.methodology import VERSION
from governance.models import CommunityModel, Evaluation, ModelVersion
from governance.packages import Package, read_package
from governance.services.health import certification_refresh
from governance.services.registry import model_create, model_version_create

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "catalogue" / "models" / "digits-robust"


def package_files() -> dict[str, bytes]:
    return {name: (PACKAGE_DIR / name).read_bytes() for name in ("model.onnx", "eval.npz", "metadata.json")}


def package(**metadata_changes: Any) -> Package:
    files = package_files()
    metadata = {**json.loads(files["metadata.json"]), **metadata_changes}
    return read_package(
        onnx_bytes=files["model.onnx"], eval_bytes=files["eval.npz"], metadata=json.dumps(metadata), isolated=False
    )


def npz(**arrays: Any) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def register(owner: User, slug: str = "digits", *, version: str = "1.0.0") -> CommunityModel:
    return model_create(
        actor=owner,
        slug=slug,
        name=slug.title(),
        summary="A digit classifier",
        version=version,
        licence="Apache-2.0",
        model_card="# Card\n\nTrained on 8×8 digits.",
        package=package(),
    )


def new_version(owner: User, model: CommunityModel, version: str) -> ModelVersion:
    return model_version_create(actor=owner, model=model, version=version, licence="Apache-2.0", model_card="", package=package())


def counted(
    version: ModelVersion,
    dimension: str,
    value: Any,
    *,
    measured_at: datetime | None = None,
    estimated: bool = False,
    methodology: str = VERSION,
    status: str = Evaluation.Status.COUNTED,
    submitted_by: Any = None,
    evidence: bytes | None = None,
) -> Evaluation:
    """A counted value (as if accepted by a second auditor) under `methodology`, without running anything; or one
    waiting for review."""
    now = measured_at or timezone.now()
    units = {"robustness": "percent", "explainability": "percent", "energy": "g_co2e_per_1k_inferences"}
    evaluation = Evaluation(
        version=version,
        dimension=dimension,
        value=Decimal(str(value)),
        unit=units[dimension],
        provenance=Evaluation.Provenance.COMMUNITY,
        status=status,
        submitted_by=submitted_by,
        evidence_note="test",
        estimated=estimated,
        methodology_version=methodology,
        backend="estimate" if estimated else "",
        measured_at=now,
        counted_at=now if status == Evaluation.Status.COUNTED else None,
    )
    if evidence is not None:
        evaluation.evidence_file.save("evidence.txt", ContentFile(evidence), save=False)
    evaluation.save()
    return evaluation


def certify(
    version: ModelVersion,
    *,
    robustness: Any = 1.2,
    explainability: Any = 90,
    energy: Any = 0.01,
    at: datetime | None = None,
    methodology: str = VERSION,
) -> Any:
    for dimension, value in (("robustness", robustness), ("explainability", explainability), ("energy", energy)):
        counted(version, dimension, value, measured_at=at, methodology=methodology)
    return certification_refresh(version=version)
