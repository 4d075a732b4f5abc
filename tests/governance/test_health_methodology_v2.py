"""Methodology v2 beside v1: values and certifications name their version, a certification never mixes versions,
v1 records stay readable, failed evaluation runs carry a typed reason, and a steward re-evaluates every certified
model under v2 in one action (queued runs with progress)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts.errors import ApplicationError, WrongState
from accounts.models import AuditLogEntry, Role
from governance.models import Certification, Evaluation, EvaluationRun, Reevaluation
from governance.selectors.health import certified_now, reevaluation_progress
from governance.services.health import evaluation_run_finished, evaluations_start, reevaluation_start
from notebooks.models import Notebook, Run
from notebooks.services import catalogue_sync
from tests.conftest import assert_error
from tests.governance.factories import certify, register
from tests.notebooks import builders

pytestmark = pytest.mark.django_db

UNITS = {"robustness": "percent", "explainability": "percent", "energy": "g_co2e_per_1k_inferences"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def model(make_user):
    return register(make_user(Role.CURATOR))


def _v2_run(model, steward, dimension, value, *, status=Run.Status.SUCCEEDED, error="", **changes):
    notebook = Notebook.objects.get(slug="short")
    metrics = {
        "dimension": dimension, "value": value, "unit": UNITS[dimension], "methodology_version": "v2", "conformant": True,
        "model_sha256": model.current_version.onnx_sha256, "backend": "estimate", "estimated": True, "region": "USA",
        "carbon_intensity_g_per_kwh": 369.5, "uncertainty": 1e-7, **changes,
    }  # fmt: skip
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=steward, parameters={}, timeout_seconds=60,
        memory_limit_mb=512, status=status, metrics=metrics if status == Run.Status.SUCCEEDED else {}, error=error,
        finished_at=timezone.now(),
    )  # fmt: skip
    EvaluationRun.objects.create(
        version=model.current_version, dimension=dimension, run=run, requested_by=steward, methodology_version="v2"
    )
    return run


def test_v2_values_certify_under_v2_and_replace_a_v1_certification_only_when_complete(model, make_user, catalogue):
    steward = make_user(Role.STEWARD)
    v1 = certify(model.current_version, methodology="v1")
    assert v1.methodology_version == "v1"

    # Given a v1 certification, when the first v2 value arrives, the v1 certification stands (no mixing, no gap).
    evaluation_run_finished(_v2_run(model, steward, "robustness", 2.3).pk)
    v1.refresh_from_db()
    assert v1.status == Certification.Status.ACTIVE
    assert Evaluation.objects.get(dimension="robustness", provenance="verified").methodology_version == "v2"

    # When the v2 set is complete and passes, the certification is granted again under v2.
    evaluation_run_finished(_v2_run(model, steward, "explainability", 91.8).pk)
    evaluation_run_finished(_v2_run(model, steward, "energy", 6.3e-06).pk)

    v1.refresh_from_db()
    current = certified_now().get(model=model)
    assert current.methodology_version == "v2"
    assert {current.robustness.methodology_version, current.explainability.methodology_version,
            current.energy.methodology_version} == {"v2"}  # fmt: skip
    assert v1.status == Certification.Status.SUPERSEDED and v1.end_reason == "re-evaluated under methodology v2"
    # v1 records stay readable, with their version
    assert Evaluation.objects.filter(methodology_version="v1").count() == 3
    assert v1.robustness.methodology_version == "v1"


def test_a_complete_failing_v2_set_ends_a_v1_certification(model, make_user, catalogue):
    steward = make_user(Role.STEWARD)
    v1 = certify(model.current_version, methodology="v1")

    for dimension, value in (("robustness", 63.3), ("explainability", 87.2), ("energy", 6.8e-06)):
        evaluation_run_finished(_v2_run(model, steward, dimension, value).pk)

    v1.refresh_from_db()
    assert v1.status == Certification.Status.SUPERSEDED
    assert "robustness" in v1.end_reason
    assert not certified_now().filter(model=model).exists()


def test_v2_runs_must_report_v2(model, make_user, catalogue):
    run = _v2_run(model, make_user(Role.STEWARD), "robustness", 1.0, methodology_version="v1")

    evaluation_run_finished(run.pk)

    assert Evaluation.objects.count() == 0
    assert "methodology 'v1', not v2" in EvaluationRun.objects.get(run=run).outcome


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("UnsupportedOperator: the model uses operators this interpreter does not implement: NonMaxSuppression.",
         "unsupported_operator: the model uses operators this interpreter does not implement: NonMaxSuppression"),
        ("PackageError: the model input has shape [None, 64], metadata.input_shape says [N, 8, 8]",
         "package_invalid: the model input has shape [None, 64], metadata.input_shape says [N, 8, 8]"),
        ("ConversionMismatch: the interpreter disagrees with onnxruntime (max |diff| 0.3)", "conversion_mismatch: "),
        ("ValueError: something else", "run_failed: the run ended failed: ValueError: something else"),
    ],
)  # fmt: skip
def test_a_run_that_cannot_evaluate_ends_with_a_typed_reason_and_no_value(model, make_user, catalogue, error, reason):
    run = _v2_run(model, make_user(Role.STEWARD), "robustness", 0.0, status=Run.Status.FAILED, error=error)

    evaluation_run_finished(run.pk)

    assert Evaluation.objects.count() == 0
    assert EvaluationRun.objects.get(run=run).outcome.startswith(f"not counted: {reason}")


def test_only_stewards_re_evaluate_and_a_missing_notebook_is_named(model, make_user, catalogue, api):
    certify(model.current_version)
    auditor, steward = make_user(Role.AUDITOR), make_user(Role.STEWARD)

    with pytest.raises(ApplicationError) as refused:
        reevaluation_start(actor=auditor)
    assert getattr(refused.value, "status", None) == 403
    assert AuditLogEntry.objects.filter(action="reevaluation.start.denied").exists()

    # The test catalogue has no v2 evaluation notebooks: the action refuses (409) and queues nothing.
    with pytest.raises(ApplicationError) as incomplete:
        reevaluation_start(actor=steward)
    assert getattr(incomplete.value, "status", None) == 409 and "e1-robustness-v2" in str(incomplete.value)
    assert not Reevaluation.objects.exists() and not EvaluationRun.objects.exists()

    browser = Client()
    browser.force_login(steward)
    assert browser.post("/health/reevaluations/start/").status_code == 409
    assert_error(api(auditor).get("/api/v1/health/reevaluations/1/"), 403)


# Three tiny stand-ins for the v2 evaluation notebooks: they hash the package's model and report a passing,
# conformant v2 value, so the whole path (queue -> kernel -> intake -> certification) runs in a few seconds.
def _stand_in(slug: str, dimension: str, value: float) -> object:
    extra = "max_samples = 1  # samples\n" if dimension == "robustness" else ""
    return builders.notebook(
        slug,
        ["import hashlib, pathlib\nsha = hashlib.sha256((pathlib.Path(package_path) / 'model.onnx').read_bytes()).hexdigest()"],
        parameters=f'package_path = "../packages/none"  # package\ndevice = "auto"  # auto, cpu or cuda\n{extra}',
        declared={"package_path": {"kind": "path"}, "device": {"kind": "choice", "choices": ["auto", "cpu", "cuda"]}},
        kind="evaluation",
        metrics=(
            "from IPython.display import JSON, display\n"
            f"display(JSON({{'dimension': {dimension!r}, 'value': {value}, 'unit': {UNITS[dimension]!r}, "
            "'methodology_version': 'v2', 'conformant': True, 'model_sha256': sha, 'backend': 'estimate', "
            "'estimated': True, 'region': 'USA', 'carbon_intensity_g_per_kwh': 369.5}))"
        ),
    )


@pytest.mark.notebooks
@pytest.mark.django_db(transaction=True)
def test_one_action_re_evaluates_every_certified_model_under_v2_with_progress(make_user, settings, tmp_path):
    root = builders.write_catalogue(
        tmp_path / "catalogue",
        [_stand_in("e1-robustness-v2", "robustness", 2.3), _stand_in("e2-explainability-v2", "explainability", 91.8),
         _stand_in("e3-energy-v2", "energy", 6.3e-06)],
    )  # fmt: skip
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    assert not catalogue_sync(actor=None, root=root).invalid
    curator = make_user(Role.CURATOR)
    certified, uncertified = register(curator, "certified-one"), register(curator, "not-certified")
    certify(certified.current_version, methodology="v1")
    steward = make_user(Role.STEWARD)

    batch = reevaluation_start(actor=steward)  # eager: the runs execute when the transaction commits

    progress = reevaluation_progress(batch)
    assert batch.methodology_version == "v2" and progress["models"] == 1
    assert progress["runs_total"] == 3 and progress["runs_done"] == 3 and progress["finished"]
    assert progress["runs_counted"] == 3, progress["rows"]
    assert [row["model"] for row in progress["rows"]] == ["certified-one"]
    assert not EvaluationRun.objects.filter(version=uncertified.current_version).exists()
    assert certified_now().get(model=certified).methodology_version == "v2"
    client = Client()
    client.force_login(steward)
    html = client.get(f"/health/reevaluations/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 / 3" in html and "certified-one" in html
    assert client.get(f"/api/v1/health/reevaluations/{batch.pk}/").json()["runs_counted"] == 3


def test_a_re_evaluation_queues_every_certified_model_beyond_the_per_person_run_quota(make_user, settings, tmp_path):
    # Given more certified models than a steward's own active-run quota allows (3 runs each, 5 at most per person)
    root = builders.write_catalogue(
        tmp_path / "catalogue",
        [_stand_in("e1-robustness-v2", "robustness", 2.3), _stand_in("e2-explainability-v2", "explainability", 91.8),
         _stand_in("e3-energy-v2", "energy", 6.3e-06)],
    )  # fmt: skip
    settings.NOTEBOOK_CATALOGUE_DIR = root
    assert not catalogue_sync(actor=None, root=root).invalid
    curator, steward = make_user(Role.CURATOR), make_user(Role.STEWARD)
    for slug in ("alpha", "beta", "gamma"):
        certify(register(curator, slug).current_version, methodology="v1")

    # When the steward re-evaluates (the runs stay queued: no commit, no worker, in this test)
    batch = reevaluation_start(actor=steward)

    # Then every model is queued, nobody is skipped, and the progress says nothing has ended yet
    progress = reevaluation_progress(batch)
    assert progress["models"] == 3 and progress["skipped"] == []
    assert progress["runs_total"] == 9 and progress["runs_done"] == 0 and not progress["finished"]
    assert progress["runs_by_status"] == {"queued": 9}
    assert [row["model"] for row in progress["rows"]] == ["alpha", "beta", "gamma"]
    assert set(EvaluationRun.objects.values_list("methodology_version", flat=True)) == {"v2"}
    # while a steward's own start of one model's evaluations still respects the per-person quota
    delta = register(curator, "delta")
    with pytest.raises(WrongState, match="runs queued or running"):
        evaluations_start(actor=steward, version=delta.current_version)


def test_the_health_page_shows_marginal_verdicts_masking_findings_and_the_uncertainty(model, make_user, catalogue, client):
    steward = make_user(Role.STEWARD)
    evaluation_run_finished(_v2_run(model, steward, "explainability", 82.4, marginal=True, verdict="marginal pass").pk)
    before = client.get(f"/health/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    evaluation_run_finished(_v2_run(model, steward, "robustness", 1.2, gradient_masking_suspected=True).pk)
    evaluation_run_finished(_v2_run(model, steward, "energy", 6.3e-06, uncertainty=2.5e-07, cpu_model="AMD EPYC").pk)

    page = client.get(f"/health/{model.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "marginal" in before and "gradient masking suspected" not in before
    assert "gradient masking suspected" in page
    assert "AMD EPYC" in page
    assert page.count("± ") == 1 and "± 0.00000025" in page  # the energy value's standard error, nothing else
