"""Forms of the toolchain pages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notebooks.selectors import notebook_list


def benchmark_notebooks() -> tuple[str, ...]:
    """The slugs of the catalogue's notebooks in catalogue order: only the slugs, as a notebook's current version (its
    source, kilobytes each) is not needed to name it."""
    return tuple(notebook_list().values_list("slug", flat=True))


class BenchmarkForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    notebook = forms.ChoiceField(label=_("Notebook"))
    parameters = forms.CharField(
        label=_("Parameters (JSON object)"), widget=forms.Textarea(attrs={"rows": 3}), required=False, initial="{}"
    )
    metric_key = forms.CharField(label=_("Metric"), max_length=100)
    higher_is_better = forms.TypedChoiceField(
        label=_("Better is"),
        choices=[("1", _("higher")), ("0", _("lower"))],
        coerce=lambda value: value == "1",
        initial="1",
    )
    queue = forms.ChoiceField(
        label=_("Queue"), choices=[("", _("The notebook's own")), ("cpu", "CPU"), ("gpu", "GPU")], required=False
    )
    regression_threshold_percent = forms.FloatField(
        label=_("Regression threshold (%)"), min_value=0.1, max_value=1000, required=False
    )

    def __init__(self, *args: Any, notebooks: Iterable[str] | None = None, **kwargs: Any) -> None:
        """`notebooks`: the slugs to choose from, `benchmark_notebooks()` unless given."""
        super().__init__(*args, **kwargs)
        choices = [(slug, slug) for slug in (benchmark_notebooks() if notebooks is None else notebooks)]
        self.fields["notebook"].choices = choices  # type: ignore[attr-defined]
        self.fields["regression_threshold_percent"].widget.attrs["placeholder"] = str(
            settings.BENCHMARK_REGRESSION_THRESHOLD_PERCENT
        )

    def clean_parameters(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("parameters") or "{}"
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise forms.ValidationError(_('Write the parameters as a JSON object, e.g. {"steps": 3}.')) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Write the parameters as a JSON object, e.g. {"steps": 3}.'))
        return value
