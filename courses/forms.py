"""Page forms of the courses app; they shape input, the services validate and decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from courses.services import limit_out_of_range
from notebooks.forms import ParameterFieldsMixin
from notebooks.metrics import metric_values
from notebooks.models import Notebook

StrOrPromise = str | Promise


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


def _within(name: str, low: int, high: int) -> list[Any]:
    """The field's range, refused with the service's own words (so a form that fails on another field still
    shows a limit's error beside it)."""
    message = limit_out_of_range(name, high)
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def _limit_fields(form: forms.Form, maxima: tuple[int, int], *, empty_means: StrOrPromise) -> None:
    """Optional time and memory limit fields; the bounds show in the widget and are checked here, and the
    service enforces them again."""
    seconds, megabytes = maxima
    form.fields["run_timeout_seconds"] = forms.IntegerField(
        label=_("Run time limit (seconds)"),
        required=False,
        validators=_within("run_timeout_seconds", 10, seconds),
        widget=forms.NumberInput(attrs={"min": 10, "max": seconds, "step": 1}),
        help_text=_("From 10 to %(max)d seconds. Empty: %(empty)s.") % {"max": seconds, "empty": empty_means},
    )
    form.fields["run_memory_mb"] = forms.IntegerField(
        label=_("Run memory limit (MB)"),
        required=False,
        validators=_within("run_memory_mb", 256, megabytes),
        widget=forms.NumberInput(attrs={"min": 256, "max": megabytes, "step": 1}),
        help_text=_("From 256 to %(max)d MB. Empty: %(empty)s.") % {"max": megabytes, "empty": empty_means},
    )


def _metric_choices(declared: Any, observed: Sequence[str] = ()) -> list[tuple[str, str]]:
    declared = declared if isinstance(declared, dict) else {}
    names = list(declared) + [name for name in observed if name not in declared]
    labels = {value.name: value.label for value in metric_values(declared, dict.fromkeys(names, 0))}
    return [("", _("The first metric the runs report")), *[(name, labels.get(name, name)) for name in names]]


class NotebookChoiceForm(forms.Form):
    """Step one of adding an assignment: which notebook (its parameters decide the rest of the form)."""

    notebook = forms.ModelChoiceField(label=_("Notebook"), queryset=Notebook.objects.none(), to_field_name="slug")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        notebooks = Notebook.objects.filter(is_active=True, current_version__isnull=False)
        self.fields["notebook"].queryset = notebooks  # type: ignore[attr-defined]
        self.fields["notebook"].label_from_instance = lambda notebook: f"{notebook.slug} — {notebook.title_en}"  # type: ignore[attr-defined]


class AssignmentForm(ParameterFieldsMixin):
    """Step two: the chosen notebook's default parameters as the same typed fields a student's run form
    has (built from the pinned version's specs), the assignment's settings and its run limits."""

    notebook = forms.ModelChoiceField(
        label=_("Notebook"), queryset=Notebook.objects.none(), to_field_name="slug", widget=forms.HiddenInput
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty for the notebook's title.")
    )
    due_at = forms.DateTimeField(
        label=_("Due"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    queue = forms.ChoiceField(label=_("Runner queue"), choices=[("cpu", _("CPU")), ("gpu", _("GPU"))])
    run_quota = forms.IntegerField(label=_("Runs per student"), min_value=1, max_value=100, initial=5)
    runs_shared = forms.BooleanField(label=_("Students see each other's runs"), required=False)
    grade_metric = forms.ChoiceField(label=_("Grade-book metric"), required=False, choices=[])

    def __init__(self, notebook: Notebook, maxima: tuple[int, int], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"notebook": notebook.slug, "queue": notebook.accelerator, "run_quota": 5, **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.chosen_notebook = notebook
        self.fields["notebook"].queryset = Notebook.objects.filter(pk=notebook.pk)  # type: ignore[attr-defined]
        version = notebook.current_version
        assert version is not None
        self.fields["grade_metric"].choices = _metric_choices(version.metadata.get("metrics"))  # type: ignore[attr-defined]
        _limit_fields(self, maxima, empty_means=_("the course's limit"))
        self.add_parameter_fields(version.parameters)

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("title", "due_at", "queue", "run_quota", "runs_shared", "grade_metric")]

    def limit_fields(self) -> list[forms.BoundField]:
        return [self["run_timeout_seconds"], self["run_memory_mb"]]


class AssignmentSettingsForm(forms.Form):
    """What an instructor may change on an existing assignment: the grade-book metric and run limits."""

    grade_metric = forms.ChoiceField(label=_("Grade-book metric"), required=False, choices=[])

    def __init__(self, assignment: Any, observed: list[str], maxima: tuple[int, int], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "grade_metric": assignment.grade_metric,
                "run_timeout_seconds": assignment.run_timeout_seconds,
                "run_memory_mb": assignment.run_memory_mb,
                "reuse_results": assignment.reuse_results,
            },
        )
        super().__init__(*args, **kwargs)
        choices = _metric_choices(assignment.version.metadata.get("metrics"), observed)
        if assignment.grade_metric and assignment.grade_metric not in dict(choices):
            choices.append((assignment.grade_metric, assignment.grade_metric))
        self.fields["grade_metric"].choices = choices  # type: ignore[attr-defined]
        _limit_fields(self, maxima, empty_means=_("the course's limit"))
        self.fields["reuse_results"] = forms.BooleanField(
            label=_("Reuse identical results"),
            required=False,
            help_text=_(
                "Only for notebooks marked deterministic: a run with the same parameters in the same kernel "
                "environment answers at once. Students can still run it fresh."
            ),
        )


class CourseLimitsForm(forms.Form):
    """The course's run limits for its students; empty fields leave the portal's maxima."""

    def __init__(self, maxima: tuple[int, int], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_fields(self, maxima, empty_means=_("the portal's maximum"))
        self.fields["runs_at_once"] = forms.IntegerField(
            label=_("Runs on the runners at once"),
            required=False,
            widget=forms.NumberInput(attrs={"min": 1, "max": 1000, "step": 1}),
            help_text=_(
                "How many of this course's runs may execute at the same time. Waiting runs are served fairly "
                "between courses either way. Empty: the portal's setting."
            ),
        )


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
