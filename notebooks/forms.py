"""A typed web form built from a notebook version's parameter specs (validation stays in the service)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _help(spec: dict[str, Any]) -> str:
    localised = spec.get("help_i18n") or {}
    language = get_language() or "en"
    return str(localised.get("zh-hans" if language.startswith("zh") else "en") or spec.get("help", ""))


def parameter_field(spec: dict[str, Any]) -> forms.Field:
    """The typed field for one parameter: a select for choices, a checkbox for true/false, a number input
    with the declared bounds for numbers, text otherwise. Every form that asks for parameters uses it."""
    kind, default = spec["type"], spec["default"]
    attrs: dict[str, Any] = {}
    field: forms.Field
    if "choices" in spec:
        field = forms.ChoiceField(choices=[(str(choice), str(choice)) for choice in spec["choices"]], initial=str(default))
    elif kind == "bool":
        field = forms.BooleanField(required=False, initial=bool(default))
    elif kind in {"int", "float"}:
        attrs["step"] = "1" if kind == "int" else "any"
        for bound in ("min", "max"):
            if bound in spec:
                attrs[bound] = spec[bound]
        field = forms.CharField(initial=default, widget=forms.NumberInput(attrs=attrs))
    else:
        field = forms.CharField(initial=default if kind == "str" else repr(default), max_length=2000, required=False)
    field.label = spec["name"]
    field.help_text = _help(spec)
    field.required = False
    return field


class ParameterFieldsMixin(forms.Form):
    """A form with one typed `p_<name>` field per parameter spec; the service validates what was typed."""

    specs: list[dict[str, Any]]

    def add_parameter_fields(self, specs: list[dict[str, Any]]) -> None:
        self.specs = specs
        for spec in specs:
            self.fields[f"p_{spec['name']}"] = parameter_field(spec)

    def parameter_fields(self) -> list[forms.BoundField]:
        return [self[f"p_{spec['name']}"] for spec in self.specs]

    def raw_parameters(self) -> dict[str, Any]:
        """What the user typed, per parameter, for the service to validate and convert."""
        values: dict[str, Any] = {}
        for spec in self.specs:
            key = f"p_{spec['name']}"
            if spec["type"] == "bool" and "choices" not in spec:
                values[spec["name"]] = "true" if self.data.get(key) in {"on", "true", "1"} else "false"
            elif key in self.data:
                values[spec["name"]] = self.data[key]
        return values

    def add_service_errors(self, fields: dict[str, list[str]], message: str) -> None:
        """Puts a service's errors on the fields they name (a parameter's first), the rest above the form."""
        for name, problems in fields.items():
            target = f"p_{name}" if f"p_{name}" in self.fields else name if name in self.fields else None
            for problem in problems:
                self.add_error(target, problem)
        if not fields:
            self.add_error(None, message)


class RunForm(ParameterFieldsMixin):
    queue = forms.ChoiceField(label=_("Runner queue"), choices=[("cpu", _("CPU")), ("gpu", _("GPU"))])

    def __init__(
        self, specs: list[dict[str, Any]], *args: Any, default_queue: str = "cpu", offer_reuse: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].initial = default_queue
        self.add_parameter_fields(specs)
        if offer_reuse:  # a deterministic notebook: an identical earlier result may answer at once
            self.fields["fresh"] = forms.BooleanField(
                label=_("Run it fresh"),
                required=False,
                help_text=_("Execute again even if the same parameters already gave a result in this environment."),
            )
