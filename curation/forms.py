"""Forms of the curation pages (the services validate again; these give the pages field-level errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DatasetForm(forms.Form):
    slug = forms.SlugField(label=_("Slug"), max_length=100)
    licence = forms.CharField(label=_("Licence"), max_length=60)
    description = forms.CharField(label=_("Description (Markdown)"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSON Lines file"))
    format = forms.ChoiceField(
        label=_("Format"), choices=[("", _("From the file name")), ("csv", "CSV"), ("jsonl", "JSON Lines")], required=False
    )


class RulingForm(forms.Form):
    label = forms.CharField(label=_("Final label"), max_length=100)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Why is the release blocked?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class TermForm(forms.Form):
    term = forms.CharField(label=_("Medical term"), max_length=100)
