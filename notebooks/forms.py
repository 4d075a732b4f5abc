"""A typed web form built from a notebook version's parameter specs: each field converts what was typed to the
parameter's type and checks it with the same rules as the API (`notebooks.parameters.parameter_value`), so the
services receive typed values only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from notebooks.contract import ParameterSpec, parameter_specs
from notebooks.parameters import parameter_from_text, parameter_value


def _help(spec: ParameterSpec) -> str:
    language = get_language() or "en"
    return str(spec.help_i18n.get("zh-hans" if language.startswith("zh") else "en") or spec.help)


class ParameterField(forms.Field):
    """One parameter: the typed text converted and checked against its spec; an error names the parameter."""

    def __init__(self, spec: ParameterSpec, **kwargs: Any) -> None:
        self.spec = spec
        super().__init__(required=False, label=spec.name, help_text=_help(spec), **kwargs)

    def to_python(self, value: Any) -> Any:
        if value is None:  # not sent: the parameter keeps its default (`parameters()` leaves it out)
            return None
        try:
            typed = value if isinstance(value, bool) else parameter_from_text(self.spec, str(value or ""))
            return parameter_value(self.spec, typed)
        except ValueError as error:
            raise ValidationError(f"{self.spec.name} {error}.") from None


class ParameterChoiceField(forms.TypedChoiceField):
    """A parameter with declared choices: a select whose answer is the choice itself (a number stays a number)."""

    def __init__(self, spec: ParameterSpec) -> None:
        choices = spec.choices or ()
        by_text = {str(choice): choice for choice in choices}
        super().__init__(
            choices=[(text, text) for text in by_text],
            coerce=by_text.__getitem__,
            initial=str(spec.default),
            required=False,
            label=spec.name,
            help_text=_help(spec),
        )


def parameter_field(spec: ParameterSpec) -> forms.Field:
    """The typed field for one parameter: a select for choices, a checkbox for true/false, a number input
    with the declared bounds for numbers, text otherwise. Every form that asks for parameters uses it."""
    if spec.choices is not None:
        return ParameterChoiceField(spec)
    if spec.type == "bool":
        return ParameterField(spec, initial=bool(spec.default), widget=forms.CheckboxInput)
    if spec.type in {"int", "float"}:
        attrs: dict[str, Any] = {"step": "1" if spec.type == "int" else "any"}
        attrs.update({bound: getattr(spec, bound) for bound in ("min", "max") if getattr(spec, bound) is not None})
        return ParameterField(spec, initial=spec.default, widget=forms.NumberInput(attrs=attrs))
    initial = spec.default if spec.type == "str" else repr(spec.default)
    return ParameterField(spec, initial=initial, widget=forms.TextInput(attrs={"maxlength": 2000}))


class ParameterFieldsMixin(forms.Form):
    """A form with one typed `p_<name>` field per parameter spec."""

    specs: tuple[ParameterSpec, ...]

    def add_parameter_fields(self, specs: Any) -> None:
        self.specs = parameter_specs(specs)
        for spec in self.specs:
            self.fields[f"p_{spec.name}"] = parameter_field(spec)

    def parameter_fields(self) -> list[forms.BoundField]:
        return [self[f"p_{spec.name}"] for spec in self.specs]

    def parameters(self) -> dict[str, Any]:
        """The typed values of the parameters the form was sent (a checkbox always is); the others keep their
        defaults. Call it once the form is valid."""
        values: dict[str, Any] = {}
        for spec in self.specs:
            key = f"p_{spec.name}"
            if key in self.data or (spec.type == "bool" and spec.choices is None):
                values[spec.name] = self.cleaned_data[key]
        return values


class RunForm(ParameterFieldsMixin):
    queue = forms.ChoiceField(label=_("Runner queue"), choices=[("cpu", _("CPU")), ("gpu", _("GPU"))])

    def __init__(self, specs: Any, *args: Any, default_queue: str = "cpu", offer_reuse: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].initial = default_queue
        self.add_parameter_fields(specs)
        if offer_reuse:  # a deterministic notebook: an identical earlier result may answer at once
            self.fields["fresh"] = forms.BooleanField(
                label=_("Run it fresh"),
                required=False,
                help_text=_("Execute again even if the same parameters already gave a result in this environment."),
            )
