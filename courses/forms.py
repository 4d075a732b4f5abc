"""Page forms of the courses app; they shape input, the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notebooks.models import Notebook


class CourseForm(forms.Form):
    code = forms.CharField(label=_("Course code"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    term = forms.CharField(label=_("Term"), max_length=40, help_text=_("For example 2026 autumn."))
    cohort = forms.CharField(label=_("Cohort"), max_length=80, required=False)


class JoinForm(forms.Form):
    invite_code = forms.CharField(label=_("Invite code"), max_length=16)


class EnrolmentCsvForm(forms.Form):
    file = forms.FileField(
        label=_("Student list (CSV)"),
        help_text=_("Columns email and name (or 邮箱 and 姓名); UTF-8 or GBK. Nothing is imported unless every row is valid."),
    )


class AssignmentForm(forms.Form):
    notebook = forms.ModelChoiceField(label=_("Notebook"), queryset=Notebook.objects.none(), to_field_name="slug")
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty for the notebook's title.")
    )
    due_at = forms.DateTimeField(
        label=_("Due"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    queue = forms.ChoiceField(label=_("Runner queue"), choices=[("cpu", _("CPU")), ("gpu", _("GPU"))])
    run_quota = forms.IntegerField(label=_("Runs per student"), min_value=1, max_value=100, initial=5)
    runs_shared = forms.BooleanField(label=_("Students see each other's runs"), required=False)
    defaults = forms.CharField(
        label=_("Default parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name=value per line, for example steps=5; validated like the parameters of any run."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        notebooks = Notebook.objects.filter(is_active=True, current_version__isnull=False)
        self.fields["notebook"].queryset = notebooks  # type: ignore[attr-defined]
        self.fields["notebook"].label_from_instance = lambda notebook: f"{notebook.slug} — {notebook.title_en}"  # type: ignore[attr-defined]

    def clean_defaults(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get("defaults", "").splitlines(), start=1):
            if not line.strip():
                continue
            if "=" not in line:
                raise forms.ValidationError(_("Line %(line)d is not name=value.") % {"line": number})
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
        return values


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    team = forms.CharField(label=_("Team"), max_length=400, help_text=_("Names, separated by commas."))
    competition = forms.CharField(label=_("Competition"), max_length=200, required=False)
    award = forms.CharField(label=_("Award"), max_length=200, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    notebooks = forms.ModelMultipleChoiceField(
        label=_("Notebooks used"), queryset=Notebook.objects.none(), to_field_name="slug", required=False
    )
    links = forms.CharField(
        label=_("Links"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One per line.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notebooks"].queryset = Notebook.objects.filter(is_active=True, kind=Notebook.Kind.COURSE)  # type: ignore[attr-defined]
