""" "A run finished" is an acknowledged event: a hook that fails once still records its value when the reaper
delivers the end again; a hook that acknowledged is not called again; an acknowledged run is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from notebooks.contract import hooks_replaced
from notebooks.hooks import FIRST_DELIVERY_GRACE, deliver_run_finished, retry_delay
from notebooks.models import Run
from notebooks.services import runs_reap

pytestmark = pytest.mark.django_db

calls: list[tuple[str, int]] = []
recorded: dict[int, str] = {}
failures_left = {"flaky": 0}


def steady_hook(run_id: int) -> None:
    calls.append(("steady", run_id))


def flaky_hook(run_id: int) -> None:
    """Records the run's outcome, but its first `failures_left` calls fail (a database hiccup, a bug fixed later)."""
    calls.append(("flaky", run_id))
    if failures_left["flaky"] > 0:
        failures_left["flaky"] -= 1
        raise RuntimeError("the domain's database was briefly unreachable")
    recorded.setdefault(run_id, Run.objects.get(pk=run_id).status)


@pytest.fixture(autouse=True)
def _hooks():
    calls.clear()
    recorded.clear()
    failures_left["flaky"] = 0
    with hooks_replaced(run_finished=[steady_hook, flaky_hook]):
        yield


def _ended_run(nb, make_user, *, finished_ago: timedelta = timedelta(0)) -> Run:
    notebook = nb("short")
    finished = timezone.now() - finished_ago
    return Run.objects.create(
        notebook=notebook,
        version=notebook.current_version,
        owner=make_user(Role.STUDENT),
        parameters={"steps": 3},
        timeout_seconds=60,
        memory_limit_mb=512,
        status=Run.Status.SUCCEEDED,
        started_at=finished,
        finished_at=finished,
    )


def test_a_hook_that_fails_once_records_its_value_when_the_reaper_delivers_again(nb, make_user):
    run = _ended_run(nb, make_user)
    failures_left["flaky"] = 1

    # given: the first delivery, on commit of the run's end, meets a failing hook
    assert deliver_run_finished(run.pk) is False
    run.refresh_from_db()
    assert run.hooks_acknowledged_at is None
    assert run.hooks_done == ["tests.notebooks.test_run_finished_acknowledged.steady_hook"]
    assert recorded == {}

    # when: the reaper ticks before the retry is due, then after it
    early = runs_reap(now=timezone.now() + retry_delay(1) / 2)
    later = runs_reap(now=timezone.now() + retry_delay(1) + timedelta(seconds=1))

    # then: the value arrives once, the hook that had acknowledged was not called again
    run.refresh_from_db()
    assert early["acknowledged"] == [] and later["acknowledged"] == [run.pk]
    assert recorded == {run.pk: Run.Status.SUCCEEDED}
    assert calls == [("steady", run.pk), ("flaky", run.pk), ("flaky", run.pk)]
    assert run.hooks_acknowledged_at is not None and run.hook_attempts == 2


def test_an_acknowledged_run_is_not_delivered_again(nb, make_user):
    run = _ended_run(nb, make_user)
    assert deliver_run_finished(run.pk) is True
    calls.clear()

    assert runs_reap(now=timezone.now() + timedelta(days=1))["acknowledged"] == []
    assert deliver_run_finished(run.pk) is False, "a second delivery of the same end (a redelivered message)"
    assert calls == []
    assert recorded == {run.pk: Run.Status.SUCCEEDED}


def test_a_run_whose_first_delivery_never_happened_is_delivered_by_the_reaper(nb, make_user):
    """The process that ended the run died between its commit and the on-commit delivery."""
    ended_just_now = _ended_run(nb, make_user)
    orphan = _ended_run(nb, make_user, finished_ago=FIRST_DELIVERY_GRACE * 2)
    running = _ended_run(nb, make_user, finished_ago=FIRST_DELIVERY_GRACE * 2)
    Run.objects.filter(pk=running.pk).update(status=Run.Status.RUNNING, finished_at=None)

    assert runs_reap()["acknowledged"] == [orphan.pk]
    assert recorded == {orphan.pk: Run.Status.SUCCEEDED}
    assert ended_just_now.pk not in recorded, "a run ended moments ago waits for its own delivery"


def test_a_hook_failing_again_and_again_is_retried_with_growing_delays_and_never_dropped(nb, make_user):
    run = _ended_run(nb, make_user)
    failures_left["flaky"] = 8
    now = timezone.now()
    for attempt in range(1, 9):
        now += retry_delay(attempt) + timedelta(seconds=1)
        runs_reap(now=now)  # the first tick delivers the end for the first time, each later one retries

    run.refresh_from_db()
    assert run.hooks_acknowledged_at is None and run.hook_attempts == 8
    assert retry_delay(1) < retry_delay(2) < retry_delay(8) == retry_delay(40)
    assert runs_reap(now=now + retry_delay(8) + timedelta(seconds=1))["acknowledged"] == [run.pk]
    assert recorded == {run.pk: Run.Status.SUCCEEDED}
