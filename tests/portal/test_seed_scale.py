"""`seed_scale` adds to what is there: bench/scale.py seeds a hundredth of the sizes, measures the pages, seeds the
rest and measures the same pages again, so a second call must grow the same class-scale lab, not open another."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from courses.models import Course, Enrolment, Submission
from governance.models import CommunityModel
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db


def test_seeding_again_grows_the_same_lab_and_adds_rows(catalogue, settings):
    settings.DEBUG = True
    factories.institution()
    call_command("seed_scale", models=3, evaluations=9, runs=4, courses=2, class_size=2, verbosity=0)
    lab = Course.objects.get(code="LAB300")
    assignments = list(lab.assignments.values_list("pk", flat=True))
    first_run = Submission.objects.filter(assignment__course=lab).order_by("pk").values_list("run_id", flat=True).first()

    call_command("seed_scale", models=5, evaluations=15, runs=6, courses=3, class_size=5, verbosity=0)

    assert Course.objects.filter(code="LAB300").get() == lab  # the same lab, grown
    assert list(lab.assignments.values_list("pk", flat=True)) == assignments
    students = lab.enrolments.filter(role=Enrolment.Role.STUDENT)
    assert sorted(students.values_list("user__username", flat=True)) == [f"lab-student-{i:04d}" for i in range(5)]
    # Two submitted runs per student and assignment, and one waiting run each on the last assignment.
    submissions = Submission.objects.filter(assignment__course=lab)
    assert submissions.count() == 5 * len(assignments) * 2 + 5
    assert submissions.filter(run__status=Run.Status.QUEUED).count() == 5
    assert submissions.order_by("pk").values_list("run_id", flat=True).first() == first_run
    assert CommunityModel.objects.filter(slug__startswith="scale-").count() == 8
    assert sorted(Course.objects.filter(code__startswith="SC").values_list("code", flat=True)) == [f"SC{i:05d}" for i in range(5)]
