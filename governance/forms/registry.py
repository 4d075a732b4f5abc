from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VersionForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=40, initial="1.0.0")
    licence = forms.CharField(label=_("Licence (SPDX)"), max_length=60, initial="Apache-2.0")
    model_card = forms.CharField(label=_("Model card (Markdown)"), widget=forms.Textarea, required=False, max_length=200_000)
    onnx_file = forms.FileField(label=_("model.onnx"))
    eval_file = forms.FileField(label=_("eval.npz (labelled evaluation set)"))
    metadata_file = forms.FileField(label=_("metadata.json"))


class ModelForm(VersionForm):
    slug = forms.SlugField(label=_("Slug"), max_length=80)
    name = forms.CharField(label=_("Name"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)

    field_order = ["slug", "name", "summary", "version", "licence", "model_card", "onnx_file", "eval_file", "metadata_file"]
