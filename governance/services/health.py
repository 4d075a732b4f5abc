"""Health writes: evaluations (verified from portal runs, community from auditors) and certification.

Certification is recomputed whenever a counted value arrives, and ended or suspended by the events of
PRODUCT.md: a new version ends it at once, an accepted critical security finding suspends it. Expiry
(180 days after the newest counted value) needs no job: "certified now" compares `expires_at` with now.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_log_record, refusal_logged
from accounts.errors import ApplicationError, NotAllowed, TooLarge, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role
from governance.methodology import CERTIFICATION_DAYS, DIMENSIONS, THRESHOLDS, THRESHOLDS_BY_VERSION, VERSION, VERSIONS
from governance.models import (
    Audit,
    Certification,
    CommunityModel,
    ConflictOfInterest,
    Evaluation,
    EvaluationRun,
    ModelVersion,
    Reevaluation,
)
from governance.selectors.health import suspending_audits
from governance.services import owner_notices
from notebooks.models import Notebook, Run, Runner
from notebooks.queues import QUEUE_NAMES
from notebooks.services import run_enqueue

# --- certification --------------------------------------------------------------------------------


def _latest_counted(version: ModelVersion, methodology: str) -> dict[str, Evaluation]:
    latest: dict[str, Evaluation] = {}
    counted = version.evaluations.filter(status=Evaluation.Status.COUNTED, methodology_version=methodology)
    for evaluation in counted.order_by("-measured_at", "-id"):
        latest.setdefault(evaluation.dimension, evaluation)
    return latest


def _deciding_values(version: ModelVersion) -> tuple[str, dict[str, Evaluation]]:
    """The newest methodology with a counted value for every dimension decides, with its latest values.

    Values of two methodologies are never mixed in one certification. While a re-evaluation under a newer
    methodology is incomplete, the older complete set (and the certification resting on it) stands; once the
    newer set is complete it decides, pass or fail. With no complete set, the current methodology's values
    (possibly none) decide, which fails.
    """
    for methodology in reversed(VERSIONS):
        latest = _latest_counted(version, methodology)
        if all(d in latest for d in DIMENSIONS):
            return methodology, latest
    return VERSION, _latest_counted(version, VERSION)


def _suspended(version: ModelVersion) -> Audit | None:
    return suspending_audits(version).first()


def _end(
    certification: Certification, *, status: str, reason: str, audit: Audit | None = None, tell: bool = True, reset: bool = False
) -> None:
    """Ends the certification; its owners hear why (`tell=False` when a new certification replaces it at once)."""
    certification.status = status
    certification.ended_at = timezone.now()
    certification.end_reason = reason[:300]
    certification.suspended_by_audit = audit
    certification.save(update_fields=["status", "ended_at", "end_reason", "suspended_by_audit"])
    audit_log_record(
        actor=None,
        action=f"certification.{status}",
        obj=certification,
        after={"reason": reason, "version": certification.version_id},
    )
    if tell:
        owner_notices.tell_ended(certification, audit=audit, reset=reset)


@transaction.atomic
def certification_refresh(*, version: ModelVersion) -> Certification | None:
    """Brings the version's certification in line with its newest counted values. Locks the model row.

    Returns the active certification (new or unchanged), or None when the version is not certified.
    """
    model = CommunityModel.objects.select_for_update().get(pk=version.model_id)
    active = version.certifications.filter(status=Certification.Status.ACTIVE).first()
    if model.current_version_id != version.pk:
        if active:
            _end(active, status=Certification.Status.ENDED, reason="no longer the current version", reset=True)
        return None
    if _suspended(version):
        return None
    methodology, latest = _deciding_values(version)
    thresholds = THRESHOLDS_BY_VERSION[methodology]
    failing = [d for d in DIMENSIONS if d not in latest or not thresholds[d].passes(latest[d].value)]
    if failing:
        if active:
            missing = [d for d in failing if d not in latest]
            reason = (
                f"newer {', '.join(failing)} value does not pass" if not missing else f"no counted {', '.join(missing)} value"
            )
            _end(active, status=Certification.Status.SUPERSEDED, reason=reason)
        return None
    ids = sorted(latest[d].pk for d in DIMENSIONS)
    if active and active.evaluation_ids == ids:
        return active
    newest = max(latest[d].measured_at for d in DIMENSIONS)
    expires = newest + timedelta(days=CERTIFICATION_DAYS)
    if active:
        reason = "newer counted values"
        if active.methodology_version != methodology:
            reason = f"re-evaluated under methodology {methodology}"
        # Newer passing values replace it: the owners hear of the new grant (or, if those are already too old to
        # certify, of the expiry from the daily reminders), not of an end.
        _end(active, status=Certification.Status.SUPERSEDED, reason=reason, tell=False)
    if expires <= timezone.now():
        return None
    certification = Certification.objects.create(
        version=version,
        model=model,
        methodology_version=methodology,
        robustness=latest[DIMENSIONS[0]],
        explainability=latest[DIMENSIONS[1]],
        energy=latest[DIMENSIONS[2]],
        valid_from=timezone.now(),
        expires_at=expires,
    )
    owner_notices.tell_granted(certification)
    audit_log_record(
        actor=None,
        action="certification.grant",
        obj=certification,
        after={"version": version.pk, "evaluations": ids, "expires_at": expires, "methodology": methodology},
    )
    return certification


def certification_end_for_model(*, model: CommunityModel, reason: str) -> None:
    """A new version ends the previous versions' certification at once (health never carries over)."""
    for certification in Certification.objects.filter(model=model, status=Certification.Status.ACTIVE).exclude(
        version_id=model.current_version_id
    ):
        _end(certification, status=Certification.Status.ENDED, reason=reason, reset=True)


def certification_suspend(*, audit: Audit) -> None:
    """The hook audits call: an accepted security audit with a critical finding suspends certification."""
    for certification in Certification.objects.filter(version_id=audit.version_id, status=Certification.Status.ACTIVE):
        _end(
            certification,
            status=Certification.Status.SUSPENDED,
            reason=f"critical security finding in audit #{audit.pk}",
            audit=audit,
        )
    if not Certification.objects.filter(version_id=audit.version_id).exists():
        audit_log_record(
            actor=None, action="certification.suspend_noop", obj=audit, after={"reason": "the version was not certified"}
        )


# --- community evaluations ------------------------------------------------------------------------


def _decimal(field: str, value: Any, *, minimum: Decimal = Decimal(0), maximum: Decimal = Decimal(10**7)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError("Not a number.", fields={field: ["A decimal number."]}) from error
    if not number.is_finite() or not minimum <= number <= maximum:
        raise ApplicationError("Out of range.", fields={field: [f"Between {minimum} and {maximum}."]})
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def evaluation_submit(
    *,
    actor: User,
    model: CommunityModel,
    dimension: str,
    value: Any,
    evidence_note: str = "",
    evidence_file: UploadedFile | None = None,
    run: Run | None = None,
    backend: str = "",
    region: str = "",
    carbon_intensity_g_per_kwh: Any = None,
) -> Evaluation:
    """An auditor submits a value with evidence for the current version; it counts once a second auditor accepts it."""
    if not user_has_role(actor, Role.AUDITOR):
        raise NotAllowed("Only auditors submit health values.", code="not_auditor")
    if dimension not in THRESHOLDS:
        raise ApplicationError("Unknown dimension.", fields={"dimension": ["Choose robustness, explainability or energy."]})
    if model.current_version_id is None:
        raise WrongState("This model has no version.", code="no_version")
    maximum = Decimal(100) if THRESHOLDS[dimension].unit == "percent" else Decimal(10**6)
    number = _decimal("value", value, maximum=maximum)
    evidence_note = evidence_note.strip()
    if not evidence_note and evidence_file is None and run is None:
        raise ApplicationError(
            "Community values need evidence.", fields={"evidence_note": ["Describe the evidence, attach a file or link a run."]}
        )
    if len(evidence_note) > 20_000:
        raise ApplicationError("Text too long.", fields={"evidence_note": ["At most 20,000 characters."]})
    if evidence_file is not None and (evidence_file.size or 0) > settings.GOVERNANCE_EVIDENCE_MAX_BYTES:
        raise TooLarge("Evidence file too large.", fields={"evidence_file": ["Too large."]})
    energy = dimension == "energy"
    if energy and not (backend.strip() and region.strip()):
        raise ApplicationError(
            "Energy values record how they were measured.", fields={"backend": ["Backend and region are required."]}
        )
    evaluation = Evaluation(
        version_id=model.current_version_id,
        dimension=dimension,
        value=number,
        unit=THRESHOLDS[dimension].unit,
        provenance=Evaluation.Provenance.COMMUNITY,
        status=Evaluation.Status.PENDING,
        methodology_version=VERSION,
        run=run,
        evidence_note=evidence_note,
        backend=backend.strip()[:40] if energy else "",
        region=region.strip()[:40] if energy else "",
        carbon_intensity_g_per_kwh=(
            _decimal("carbon_intensity_g_per_kwh", carbon_intensity_g_per_kwh, maximum=Decimal(5000))
            if energy and carbon_intensity_g_per_kwh not in (None, "")
            else None
        ),
        estimated=energy and backend.strip().lower() in {"", "estimate", "estimated"},
        submitted_by=actor,
        measured_at=timezone.now(),
    )
    if evidence_file is not None:
        evidence_file_name = (evidence_file.name or "evidence").rsplit("/", 1)[-1][:200]
        evaluation.evidence_file.save(evidence_file_name, evidence_file, save=False)
    evaluation.save()
    audit_log_record(
        actor=actor,
        action="evaluation.submit",
        obj=evaluation,
        after={"model": model.slug, "dimension": dimension, "value": number, "provenance": "community"},
    )
    return evaluation


def evaluation_review(*, actor: User, evaluation: Evaluation, accept: bool, note: str = "") -> Evaluation:
    """A second auditor (not the submitter, not an owner, no declared conflict) accepts or rejects a community value."""
    action = "evaluation.accept" if accept else "evaluation.reject"
    model = evaluation.version.model
    reason = None
    if not user_has_role(actor, Role.AUDITOR):
        reason = "Only auditors review health values."
    elif evaluation.submitted_by_id == actor.pk:
        reason = "Four eyes: a second auditor must accept the value you submitted."
    elif model.owners.filter(pk=actor.pk).exists():
        reason = "Four eyes: you own this model."
    elif ConflictOfInterest.objects.filter(model=model, user=actor).exists():
        reason = "Four eyes: you declared a conflict of interest for this model."
    if reason:
        raise refusal_logged(actor=actor, action=action, obj=evaluation, reason=reason)
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().select_related("version").get(pk=evaluation.pk)
        if locked.status != Evaluation.Status.PENDING:
            raise WrongState(f"This value was already reviewed ({locked.get_status_display()}).", code="already_reviewed")
        now = timezone.now()
        locked.status = Evaluation.Status.COUNTED if accept else Evaluation.Status.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = now
        locked.counted_at = now if accept else None
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "counted_at"])
        audit_log_record(
            actor=actor,
            action=action,
            obj=locked,
            before={"status": "pending"},
            after={"status": locked.status, "note": note[:500]},
        )
        if accept:
            certification_refresh(version=locked.version)
        else:
            owner_notices.tell_rejected(locked)
    return locked


# --- verified evaluations from portal runs -------------------------------------------------------


def package_name(version: ModelVersion) -> str:
    """The folder a run of the evaluation notebooks reads the version's package from, as `../packages/<name>`."""
    return f"{version.model.slug}-{version.number}-{version.onnx_sha256[:12]}"


def evaluation_run_inputs(run: Run) -> dict[str, str | bytes]:
    """For the run engine (`notebooks.contract.run_inputs`): an evaluation run reads its version's package, which the runner
    copies from the storage into the run's scratch directory as `packages/<name>/` (model.onnx, eval.npz and
    metadata.json). Other runs read nothing more."""
    evaluation_run = EvaluationRun.objects.select_related("version__model").filter(run_id=run.pk).first()
    if evaluation_run is None:
        return {}
    version = evaluation_run.version
    folder = f"packages/{package_name(version)}"
    metadata = {**version.metadata, "name": version.model.slug, "version": version.version}
    return {
        f"{folder}/model.onnx": version.onnx_file.name,
        f"{folder}/eval.npz": version.eval_file.name,
        f"{folder}/metadata.json": json.dumps(metadata, indent=2).encode(),
    }


def evaluation_queue() -> str:
    """`gpu` while an online runner with a GPU consumes the GPU queue (the notebooks then pick `cuda`), else `cpu`."""
    limit = timezone.now() - timedelta(seconds=settings.NOTEBOOK_RUNNER_HEARTBEAT_SECONDS * 3)
    gpu_runners = Runner.objects.filter(stopped_at__isnull=True, last_heartbeat__gte=limit).exclude(gpu_name="")
    if any(QUEUE_NAMES["gpu"] in (runner.queues or []) for runner in gpu_runners.only("queues")):
        return "gpu"
    return "cpu"


def _evaluation_notebooks(methodology: str) -> dict[str, Notebook]:
    """The methodology's three evaluation notebooks by slug; 409 naming any that the catalogue lacks."""
    slugs = [THRESHOLDS_BY_VERSION[methodology][d].notebook for d in DIMENSIONS]
    notebooks = {n.slug: n for n in Notebook.objects.filter(slug__in=slugs, is_active=True)}
    missing = [slug for slug in slugs if slug not in notebooks]
    if missing:
        raise WrongState(f"The evaluation notebooks are not in the catalogue: {', '.join(missing)}.", code="catalogue_incomplete")
    return notebooks


def evaluations_start(
    *, actor: User, version: ModelVersion, methodology: str = VERSION, reevaluation: Reevaluation | None = None
) -> list[EvaluationRun]:
    """A steward, or an owner of the model, starts the three evaluation notebooks of `methodology` against the
    version's package (one action, three runs), on the GPU queue when a GPU runner is online. The runs are the
    actor's: an owner's count in the owner's quota of active runs, and auditors see them (evaluation-run
    visibility). The runs are sent to the broker after commit."""
    steward = user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR)
    if not steward and (reevaluation is not None or not version.model.owners.filter(pk=actor.pk).exists()):
        reason = "Only stewards and the model's owners start evaluation runs."
        raise refusal_logged(actor=actor, action="evaluation.start", obj=version, reason=reason)
    if methodology not in THRESHOLDS_BY_VERSION:
        raise ApplicationError("Unknown methodology.", fields={"methodology": [f"One of {', '.join(VERSIONS)}."]})
    if version.model.current_version_id != version.pk:
        raise WrongState("Only the current version is evaluated.", code="not_current")
    busy = EvaluationRun.objects.filter(version=version, run__status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).exists()
    if busy:
        raise WrongState("Evaluation runs for this version are still queued or running.", code="evaluation_running")
    thresholds = THRESHOLDS_BY_VERSION[methodology]
    notebooks = _evaluation_notebooks(methodology)
    # Relative to the notebook's folder: the runner copies the package into each run's scratch directory
    # (evaluation_run_inputs), and a `path` parameter may not name anything outside it.
    path = f"../packages/{package_name(version)}"
    queue = evaluation_queue()
    started = []
    with transaction.atomic():
        for dimension in DIMENSIONS:
            parameters: dict[str, Any] = {"package_path": path}
            if dimension == "robustness":
                parameters["max_samples"] = max(1, min(version.eval_samples, 100_000))
            run = run_enqueue(
                actor=actor,
                notebook=notebooks[thresholds[dimension].notebook],
                parameters=parameters,
                queue=queue,
                per_user_quota=reevaluation is None,  # a re-evaluation of every certified model is the portal's work
                may_run_without_role=not steward,  # an owner evaluating their own model needs no other role
            )
            started.append(
                EvaluationRun.objects.create(
                    version=version,
                    dimension=dimension,
                    run=run,
                    requested_by=actor,
                    methodology_version=methodology,
                    reevaluation=reevaluation,
                )
            )
        audit_log_record(
            actor=actor,
            action="evaluation.start",
            obj=version,
            after={
                "runs": [item.run_id for item in started],
                "methodology": methodology,
                "queue": queue,
                "as": "steward" if steward else "owner",
            },
        )
    return started


def reevaluation_start(*, actor: User, methodology: str = VERSION) -> Reevaluation:
    """A steward's one action: every model certified now is evaluated again under `methodology` (three queued runs
    per model). Models whose evaluation runs are still busy are skipped and named. Runs are sent after commit;
    progress is read from the runs (`governance.selectors.health.reevaluation_progress`)."""
    from governance.selectors.health import certified_now

    if not user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR):
        raise refusal_logged(actor=actor, action="reevaluation.start", obj=actor, reason="Only stewards re-evaluate models.")
    if methodology not in THRESHOLDS_BY_VERSION:
        raise ApplicationError("Unknown methodology.", fields={"methodology": [f"One of {', '.join(VERSIONS)}."]})
    _evaluation_notebooks(methodology)
    with transaction.atomic():
        batch = Reevaluation.objects.create(methodology_version=methodology, requested_by=actor)
        skipped: list[str] = []
        certifications = certified_now().select_related("version__model").order_by("model__slug")
        for certification in certifications:
            try:
                evaluations_start(actor=actor, version=certification.version, methodology=methodology, reevaluation=batch)
            except WrongState as error:
                skipped.append(f"{certification.model.slug}: {error}")
        batch.models_started = batch.runs.values("version").distinct().count()
        batch.skipped = "\n".join(skipped)[:5000]
        batch.save(update_fields=["models_started", "skipped"])
        audit_log_record(
            actor=actor,
            action="reevaluation.start",
            obj=batch,
            after={"methodology": methodology, "models": batch.models_started, "skipped": skipped},
        )
    return batch


# A notebook that cannot evaluate a model stops with one of these exception types; the error names the field or
# operator. The intake turns them into a typed reason instead of a generic failure.
FAILURE_REASONS = {
    "PackageError": "package_invalid",
    "UnsupportedOperator": "unsupported_operator",
    "UnsupportedOnnxGraph": "unsupported_operator",
    "ConversionMismatch": "conversion_mismatch",
}


def failure_reason(run: Run) -> tuple[str, str]:
    """(typed reason, detail) of a failed evaluation run: `unsupported_operator`, `package_invalid`, ... or `run_failed`."""
    kind, _, detail = (run.error or "").partition(": ")
    if kind in FAILURE_REASONS:
        return FAILURE_REASONS[kind], detail.split("\n", 1)[0][:300]
    return f"run_{run.status}", f"the run ended {run.status}: {(run.error or '')[:200]}"


def _verified_refusal(evaluation_run: EvaluationRun, run: Run) -> str | None:
    metrics = run.metrics or {}
    methodology = evaluation_run.methodology_version
    threshold = THRESHOLDS_BY_VERSION[methodology][evaluation_run.dimension]
    if run.status != Run.Status.SUCCEEDED:
        reason, detail = failure_reason(run)
        return f"{reason}: {detail}"
    if metrics.get("dimension") != evaluation_run.dimension:
        return "the run's metrics name another dimension"
    if metrics.get("methodology_version") != methodology:
        return f"the run used methodology {metrics.get('methodology_version')!r}, not {methodology}"
    if metrics.get("conformant") is not True:
        return "the run changed methodology settings (not conformant)"
    if metrics.get("model_sha256") != evaluation_run.version.onnx_sha256:
        return "the run measured another model file"
    if metrics.get("unit") != threshold.unit or not isinstance(metrics.get("value"), int | float):
        return "the run's metrics have no value in the expected unit"
    return None


def evaluation_run_finished(run_id: int) -> None:
    """Hook for the run engine (`notebooks.contract.on_run_finished`): a finished evaluation run becomes a verified
    value. Idempotent: a run already counted or refused (`outcome` set, under the row lock) is left alone."""
    with transaction.atomic():
        evaluation_run = (
            EvaluationRun.objects.select_for_update().select_related("version__model", "run").filter(run_id=run_id).first()
        )
        if evaluation_run is None or evaluation_run.evaluation_id or evaluation_run.outcome:
            return
        run = evaluation_run.run
        refusal = _verified_refusal(evaluation_run, run)
        if refusal:
            evaluation_run.outcome = f"not counted: {refusal}"[:500]
            evaluation_run.save(update_fields=["outcome"])
            audit_log_record(
                actor=None,
                action="evaluation.run_not_counted",
                obj=evaluation_run.version,
                after={"run": run.pk, "reason": refusal},
            )
            return
        metrics = run.metrics
        energy = evaluation_run.dimension == "energy"
        now = timezone.now()
        evaluation = Evaluation.objects.create(
            version=evaluation_run.version,
            dimension=evaluation_run.dimension,
            value=Decimal(str(metrics["value"])).quantize(Decimal("0.000001")),
            unit=metrics["unit"],
            provenance=Evaluation.Provenance.VERIFIED,
            status=Evaluation.Status.COUNTED,
            methodology_version=evaluation_run.methodology_version,
            run=run,
            backend=str(metrics.get("backend", ""))[:40] if energy else "",
            region=str(metrics.get("region", ""))[:40] if energy else "",
            carbon_intensity_g_per_kwh=(
                Decimal(str(metrics["carbon_intensity_g_per_kwh"])).quantize(Decimal("0.001"))
                if energy and isinstance(metrics.get("carbon_intensity_g_per_kwh"), int | float)
                else None
            ),
            estimated=bool(metrics.get("estimated")) if energy else False,
            metrics=metrics,
            measured_at=run.finished_at or now,
            counted_at=now,
        )
        evaluation_run.evaluation = evaluation
        evaluation_run.outcome = "counted"
        evaluation_run.save(update_fields=["evaluation", "outcome"])
        audit_log_record(
            actor=None,
            action="evaluation.verified",
            obj=evaluation,
            after={"run": run.pk, "dimension": evaluation.dimension, "value": evaluation.value},
        )
        certification_refresh(version=evaluation_run.version)
