"""The run engine's contract: the domains' registrations are made at start-up, and a wrong one stops the
portal with a message that names it; a parameter spec is a frozen value built from the stored one."""

from __future__ import annotations

import dataclasses

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from courses.selectors import run_visibility as course_run_visibility
from courses.views import notebook_panel as course_panel
from governance.services.health import evaluation_run_finished, evaluation_run_inputs
from notebooks import contract
from toolchain.services import benchmark_run_finished


def takes_a_run_id(run_id):
    return None


def takes_nothing():
    return None


def test_the_domains_registered_their_hooks_at_start_up():
    assert {benchmark_run_finished, evaluation_run_finished} <= set(contract.registered("run_finished"))
    assert course_run_visibility in contract.registered("run_visibility")
    assert contract.registered("notebook_panel") == (course_panel,)
    assert contract.registered("run_inputs") == (evaluation_run_inputs,)


@pytest.mark.parametrize(
    ("register", "callable_", "says"),
    [
        (contract.on_run_finished, "governance.services.health.evaluation_run_finished", "must be callable"),
        (contract.on_run_finished, takes_nothing, "must take (run_id)"),
        (contract.notebook_panel, takes_a_run_id, "must take (request, notebook)"),
        (contract.on_run_finished, evaluation_run_finished, "registered twice"),
        (contract.on_run_finished, takes_a_run_id, "after start-up"),
    ],
)
def test_a_wrong_registration_fails_with_a_clear_error(register, callable_, says):
    before = contract.registered("run_finished"), contract.registered("notebook_panel")

    with pytest.raises(ImproperlyConfigured, match=says.replace("(", r"\(").replace(")", r"\)")):
        register(callable_)

    assert (contract.registered("run_finished"), contract.registered("notebook_panel")) == before


def test_a_good_registration_during_start_up_is_kept(monkeypatch):
    monkeypatch.setattr(apps, "ready", False)  # as inside AppConfig.ready()
    with contract.hooks_replaced(run_finished=list(contract.registered("run_finished"))):
        assert contract.on_run_finished(takes_a_run_id) is takes_a_run_id
        assert contract.registered("run_finished")[-1] is takes_a_run_id
    assert takes_a_run_id not in contract.registered("run_finished")


def test_a_parameter_spec_is_frozen_and_read_from_its_stored_form():
    spec = contract.ParameterSpec.from_stored(
        {"name": "steps", "type": "int", "default": 3, "min": 1, "max": 9, "help": "How many", "extra": "ignored"}
    )

    assert (spec.name, spec.type, spec.default, spec.min, spec.max, spec.choices) == ("steps", "int", 3, 1, 9, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.default = 4


@pytest.mark.django_db
def test_services_take_typed_values_only_and_the_form_types_them(nb):
    from accounts.errors import ApplicationError
    from notebooks.forms import RunForm
    from notebooks.parameters import validate_parameters

    specs = nb("short").current_version.parameters

    with pytest.raises(ApplicationError) as text_for_a_number:
        validate_parameters(specs, {"steps": "7"})
    form = RunForm(specs, {"queue": "cpu", "p_steps": " 7 ", "p_device": "cpu"})

    assert text_for_a_number.value.fields == {"steps": ["steps must be an integer."]}
    assert form.is_valid(), form.errors
    assert form.parameters() == {"steps": 7, "device": "cpu"}
    assert validate_parameters(specs, form.parameters()) == {"steps": 7, "device": "cpu"}
    bad = RunForm(specs, {"queue": "cpu", "p_steps": "99", "p_device": "cpu"})
    assert not bad.is_valid() and bad.errors["p_steps"] == ["steps must be at most 10."]
