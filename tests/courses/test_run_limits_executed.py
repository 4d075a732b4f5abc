"""A student's assignment run executes on a real kernel under the limits that apply to it: the runner's
watchdog gets the course's (tighter) limits, not the portal's."""

from __future__ import annotations

import pytest

from courses import services
from notebooks.engine import executor
from notebooks.engine.executor import execute_run
from notebooks.engine.limits import Watchdog
from notebooks.models import Run
from tests.courses import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_within_the_course_limits_executes_with_them_applied(catalogue, make_user, monkeypatch, settings):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)
    settings.NOTEBOOK_STUDENT_MAX_TIMEOUT = 900
    settings.NOTEBOOK_STUDENT_MAX_MEMORY_MB = 4096
    course = factories.course(make_user)
    course.run_timeout_seconds, course.run_memory_mb = 120, 1024
    course.save()
    assignment = factories.assignment(course, run_timeout_seconds=90)
    student = factories.student_in(course, make_user)
    seen: list[dict[str, int]] = []

    class RecordingWatchdog(Watchdog):
        def __init__(self, **kwargs):
            seen.append({"timeout_seconds": kwargs["timeout_seconds"], "memory_limit_mb": kwargs["memory_limit_mb"]})
            super().__init__(**kwargs)

    monkeypatch.setattr(executor, "Watchdog", RecordingWatchdog)

    submission = services.assignment_run_start(actor=student, assignment=assignment, parameters={"steps": 4})
    execute_run(submission.run_id, submission.run.attempt)

    run = Run.objects.get(pk=submission.run_id)
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.metrics == {"steps": 4, "ok": True}
    assert seen == [{"timeout_seconds": 90, "memory_limit_mb": 1024}]
