"""Forms of the LMS link pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from courses.models import Course
from courses.services import course_create
from notebooks.models import Notebook


class BindForm(forms.Form):
    """Either one of the instructor's courses, or a new course named like the LMS course."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), required=False, label=_("One of your courses"))
    code = forms.CharField(max_length=40, required=False, label=_("Course code"))
    title = forms.CharField(max_length=200, required=False, label=_("Title"))
    term = forms.CharField(max_length=40, required=False, label=_("Term"), help_text=_("For example 2026 autumn."))

    def __init__(self, data: Any, *, actor: User, pending: dict[str, Any]) -> None:
        super().__init__(data, initial={"code": pending.get("context_label", ""), "title": pending.get("context_title", "")})
        self.actor = actor
        managed = Course.objects.filter(enrolments__user=actor, enrolments__role="instructor").order_by("-created_at")
        self.fields["course"].queryset = managed  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("course") and not all(data.get(name) for name in ("code", "title", "term")):
            raise forms.ValidationError(_("Choose one of your courses, or give the new course a code, a title and a term."))
        return data

    def chosen_course(self) -> Course:
        chosen: Course | None = self.cleaned_data.get("course")
        if chosen is not None:
            return chosen
        data = self.cleaned_data
        return course_create(actor=self.actor, code=data["code"], title=data["title"], term=data["term"])


class NotebookPickForm(forms.Form):
    notebook = forms.ModelChoiceField(
        queryset=Notebook.objects.filter(is_active=True, current_version__isnull=False).order_by("slug"),
        label=_("Notebook"),
    )
    title = forms.CharField(max_length=200, required=False, label=_("Title"), help_text=_("Empty: the notebook's title."))
