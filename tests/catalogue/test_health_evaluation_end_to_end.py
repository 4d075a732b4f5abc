"""A steward's one action runs the three evaluation notebooks of methodology v1 against a registered model's
package, for real (papermill on the go3s-factory kernel); the verified values certify the model."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from accounts.models import Role
from governance.models import Evaluation, EvaluationRun
from governance.selectors.health import certified_now
from governance.services.health import evaluations_start
from notebooks.models import Run
from notebooks.services import catalogue_sync
from tests.governance.factories import register

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]


def test_one_action_measures_all_three_dimensions_and_certifies(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    catalogue_sync(actor=None, root=django_settings.BASE_DIR / "catalogue")
    model = register(make_user(Role.CURATOR), "digits-robust")
    steward = make_user(Role.STEWARD)

    # v1 notebooks stay runnable beside v2 (v2's notebooks are executed by test_evaluation_notebooks_v2.py and the
    # v2 intake by tests/governance/test_health_methodology_v2.py); eager: the runs execute here
    started = evaluations_start(actor=steward, version=model.current_version, methodology="v1")

    outcomes = {item.dimension: (item.run.status, item.outcome) for item in EvaluationRun.objects.select_related("run")}
    assert len(started) == 3
    assert all(status == Run.Status.SUCCEEDED and outcome == "counted" for status, outcome in outcomes.values()), outcomes
    values = {e.dimension: e for e in Evaluation.objects.filter(provenance=Evaluation.Provenance.VERIFIED)}
    assert set(values) == {"robustness", "explainability", "energy"}
    assert values["robustness"].value < 5 and values["explainability"].value >= 82 and values["energy"].value <= 0.18
    assert values["energy"].backend and values["energy"].region == "USA"
    assert {e.methodology_version for e in values.values()} == {"v1"}
    assert certified_now().get(model=model).methodology_version == "v1"
