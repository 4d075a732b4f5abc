"""Fair dispatch: which waiting run goes to a free runner slot. Between courses first, then between people;
a course at its cap waits; a student's weekly runner time is a budget. The runs here never execute: the
broker's send is recorded instead, so the order the dispatcher chose is what the test reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import WrongState
from accounts.models import Role
from notebooks import fair_queue
from notebooks.models import Run, Runner
from notebooks.services import run_enqueue
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The runs the dispatcher handed to the broker, in order (nothing executes)."""
    from notebooks.tasks import run_execute

    order: list[int] = []
    monkeypatch.setattr(run_execute, "apply_async", lambda args, **kwargs: order.append(args[0]))
    return order


@pytest.fixture
def runner():
    """One live runner with two slots on the CPU queue."""
    now = timezone.now()
    return Runner.objects.create(
        hostname="runner-cpu@test", host="test", queues=["notebooks-cpu"], slots=2, started_at=now, last_heartbeat=now
    )


def _waiting(nb, owner, share: str, count: int, *, cap: int = 0, start=None) -> list[Run]:
    notebook = nb("short")
    runs = [
        Run(
            notebook=notebook,
            version=notebook.current_version,
            owner=owner,
            parameters={"steps": 1},
            timeout_seconds=60,
            memory_limit_mb=512,
            share=share,
            share_cap=cap,
        )
        for _ in range(count)
    ]
    created = Run.objects.bulk_create(runs)
    if start is not None:  # a class that submitted at one moment, a second apart each
        for index, run in enumerate(created):
            Run.objects.filter(pk=run.pk).update(created_at=start + timedelta(seconds=index))
    return created


def _finish(run_ids: list[int]) -> None:
    now = timezone.now()
    Run.objects.filter(pk__in=run_ids).update(status=Run.Status.SUCCEEDED, started_at=now, finished_at=now)


def test_a_small_class_is_served_right_after_a_large_one_started_first(nb, make_user, runner, sent):
    ten = timezone.now() - timedelta(hours=1)
    large = _waiting(nb, make_user(Role.STUDENT), "course:1", 300, start=ten)
    small = _waiting(nb, make_user(Role.STUDENT), "course:2", 10, start=ten + timedelta(minutes=1))
    # 300 students would be 300 owners; one owner per class is enough for the order between classes
    served: list[int] = []
    while len(served) < 40:
        batch = fair_queue.dispatch_fairly("cpu")
        assert batch, "a free slot always gets a run while runs wait"
        served += batch
        Run.objects.filter(pk__in=batch).update(dispatched_at=timezone.now())
        _finish(batch)  # both runners finish their run: two slots free again

    small_ids = {run.pk for run in small}
    first_small = next(index for index, run_id in enumerate(served) if run_id in small_ids)
    assert first_small <= 2, f"course 2's first run went out after {first_small} of course 1's"
    assert sum(run_id in small_ids for run_id in served[:20]) == 10, "the classes alternate until the small one is done"
    assert served[:1] == [large[0].pk], "the class that submitted first is served first"
    assert sent == served


def test_people_in_one_course_take_turns(nb, make_user, runner, sent):
    eager, patient = make_user(Role.STUDENT), make_user(Role.STUDENT)
    start = timezone.now() - timedelta(minutes=5)
    many = _waiting(nb, eager, "course:7", 6, start=start)
    one = _waiting(nb, patient, "course:7", 1, start=start + timedelta(minutes=1))

    order = fair_queue.fair_order("cpu")

    assert order[:3] == [many[0].pk, one[0].pk, many[1].pk]


def test_only_free_slots_are_filled_and_a_finished_run_frees_one(nb, make_user, runner, sent):
    runs = _waiting(nb, make_user(Role.STUDENT), "", 5)

    assert fair_queue.dispatch_fairly("cpu") == [runs[0].pk, runs[1].pk]
    assert fair_queue.dispatch_fairly("cpu") == [], "two slots, two runs in service"

    _finish([runs[0].pk])
    assert fair_queue.dispatch_fairly("cpu") == [runs[2].pk]
    assert Run.objects.filter(dispatched_at__isnull=True, status=Run.Status.QUEUED).count() == 2


def test_a_course_at_its_cap_waits_while_another_is_served(nb, make_user, runner, sent):
    now = timezone.now()
    capped = _waiting(nb, make_user(Role.STUDENT), "course:3", 4, cap=1, start=now - timedelta(minutes=3))
    other = _waiting(nb, make_user(Role.STUDENT), "course:4", 3, start=now - timedelta(minutes=1))
    Run.objects.filter(pk=capped[0].pk).update(status=Run.Status.RUNNING, started_at=now)

    order = fair_queue.fair_order("cpu")

    assert order == [run.pk for run in other], "course 3 has its one run in service"
    assert fair_queue.dispatch_fairly("cpu") == [other[0].pk]


def test_without_a_live_runner_every_waiting_run_is_sent_in_fair_order(nb, make_user, sent):
    a, b = make_user(Role.STUDENT), make_user(Role.STUDENT)
    start = timezone.now() - timedelta(minutes=2)
    first = _waiting(nb, a, "course:5", 3, start=start)
    second = _waiting(nb, b, "course:6", 1, start=start + timedelta(seconds=30))

    assert fair_queue.dispatch_fairly("cpu") == [first[0].pk, second[0].pk, first[1].pk, first[2].pk]


def test_the_estimated_wait_counts_the_runs_served_first(nb, make_user, runner, sent):
    waiting = _waiting(nb, make_user(Role.STUDENT), "", 5)
    done = _waiting(nb, make_user(Role.STUDENT), "", 2)
    now = timezone.now()
    for run in done:  # the queue's recent runs took 30 s each
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.SUCCEEDED, started_at=now - timedelta(seconds=40), finished_at=now - timedelta(seconds=10)
        )
    last = Run.objects.get(pk=waiting[-1].pk)

    wait = fair_queue.estimated_wait(last)

    assert wait is not None and wait.position == 5
    assert wait.seconds == 3 * 30, "fifth in line on two slots: it ends with the third round of runs"
    assert wait.starts_in == 2 * 30, "and starts when the second round ends"


def test_the_run_page_says_the_wait_in_minutes_and_hours(nb, make_user, runner, sent, client):
    # Given runs of this queue that took 50 minutes, and a student's run fifth in line on two slots
    student = make_user(Role.STUDENT)
    waiting = _waiting(nb, student, "", 5)
    now = timezone.now()
    for run in _waiting(nb, make_user(Role.STUDENT), "", 2):
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.SUCCEEDED, started_at=now - timedelta(minutes=51), finished_at=now - timedelta(minutes=1)
        )

    # When the student opens the run, in English and in Chinese
    client.force_login(student)
    english = client.get(f"/runs/{waiting[-1].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(f"/runs/{waiting[-1].pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # Then the wait (two rounds of 50 minutes before it starts) reads in hours and minutes
    assert "starts in about 1 h 40 min" in english
    assert "约 1 小时 40 分钟后开始" in chinese


def test_a_run_next_in_line_says_it_starts_with_the_next_free_slot(nb, make_user, runner, sent, client):
    student = make_user(Role.STUDENT)
    _first, second = _waiting(nb, student, "", 2)
    _finish([run.pk for run in _waiting(nb, make_user(Role.STUDENT), "", 1)])
    client.force_login(student)

    page = client.get(f"/runs/{second.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "position 2 in the queue" in page and "starts with the next free runner slot" in page
    assert "starts in about" not in page


def test_a_student_past_the_weekly_runner_time_is_refused_and_nothing_is_queued(nb, make_user, settings, sent):
    settings.NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES = 10
    student = make_user(Role.STUDENT)
    used = _waiting(nb, student, "", 1)
    now = timezone.now()
    Run.objects.filter(pk=used[0].pk).update(
        status=Run.Status.SUCCEEDED, started_at=now - timedelta(minutes=11), finished_at=now - timedelta(minutes=1)
    )
    before = Run.objects.count()

    with pytest.raises(WrongState) as refused:
        run_enqueue(actor=student, notebook=nb("short"), parameters={"steps": 1})

    assert getattr(refused.value, "code", None) == "weekly_runner_time_used"
    assert "10 of 10 runner-minutes" in str(refused.value)
    assert Run.objects.count() == before


def test_a_student_within_the_weekly_budget_is_queued_and_sent(nb, make_user, settings, sent, django_capture_on_commit_callbacks):
    settings.NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES = 10
    student = make_user(Role.STUDENT)
    old = _waiting(nb, student, "", 1)
    long_ago = timezone.now() - timedelta(days=8)  # older than the seven days: it no longer counts
    Run.objects.filter(pk=old[0].pk).update(
        status=Run.Status.SUCCEEDED, started_at=long_ago, finished_at=long_ago + timedelta(hours=5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = run_enqueue(actor=student, notebook=nb("short"), parameters={"steps": 1})

    assert fair_queue.runner_seconds_used(student) == 0
    assert sent == [run.pk]


def test_the_api_refusal_names_the_weekly_budget(api, nb, make_user, settings, sent):
    settings.NOTEBOOK_STUDENT_WEEKLY_RUNNER_MINUTES = 1
    student = make_user(Role.STUDENT)
    used = _waiting(nb, student, "", 1)
    now = timezone.now()
    Run.objects.filter(pk=used[0].pk).update(status=Run.Status.SUCCEEDED, started_at=now - timedelta(minutes=2), finished_at=now)

    response = api(student).post("/api/v1/runs/", {"notebook": "short", "parameters": {"steps": 1}}, format="json")

    assert_error(response, 409, "weekly_runner_time_used")


def _reference_order(shares: dict[str, fair_queue._Share], now) -> list[int]:
    """The rule as the module docstring states it, one full scan of every share per turn (no heaps)."""
    chosen: list[int] = []
    tick = now
    while True:
        open_shares = [(k, s) for k, s in shares.items() if s.has_waiting() and not (s.cap and s.in_service >= s.cap)]
        if not open_shares:
            return chosen
        share = min(open_shares, key=fair_queue._share_rank)[1]
        person = min(((o, p) for o, p in share.people.items() if p.waiting), key=fair_queue._person_rank)[1]
        chosen.append(person.waiting.popleft()[0])
        tick += timedelta(microseconds=1)
        share.in_service, share.last_served = share.in_service + 1, tick
        person.in_service, person.last_served = person.in_service + 1, tick


def test_the_fast_order_is_the_stated_rule(nb, make_user, runner, sent):
    start = timezone.now() - timedelta(hours=1)
    students = [make_user(Role.STUDENT) for _ in range(4)]
    for index, student in enumerate(students):
        _waiting(nb, student, "course:1", 5, start=start + timedelta(seconds=index))
        _waiting(nb, student, f"course:{index + 2}", 2, cap=1 if index == 0 else 0, start=start + timedelta(minutes=index))
    _waiting(nb, students[0], "", 3, start=start + timedelta(minutes=9))
    now = timezone.now()

    order = fair_queue._order(fair_queue._shares_now("cpu"), fair_queue.WAITING_LOOKAHEAD, now)
    expected = _reference_order(fair_queue._shares_now("cpu"), now)

    assert order == expected and len(order) == 20 + 2 * 3 + 1 + 3, "course 2 (cap 1) sends one of its two runs"


def _places(runs: list[Run]) -> dict[int, int]:
    from notebooks.selectors import queue_positions

    return queue_positions([Run.objects.get(pk=run.pk) for run in runs])


def test_places_in_line_are_read_from_the_kept_line_until_the_queue_changes(
    nb, make_user, runner, sent, django_assert_num_queries
):
    # Given a class of three waiting, the third of them asked about once
    runs = _waiting(nb, make_user(Role.STUDENT), "course:1", 3)
    assert _places(runs) == {runs[0].pk: 1, runs[1].pk: 2, runs[2].pk: 3}

    # When its place is asked again with nothing changed, one query (the fingerprint) answers
    third = Run.objects.get(pk=runs[2].pk)
    with django_assert_num_queries(1):
        assert fair_queue.queue_line("cpu").places()[third.pk] == 3

    # Then each change of the queue shows at once: a run sent to a runner stays first in line...
    Run.objects.filter(pk=runs[1].pk).update(dispatched_at=timezone.now())
    assert _places(runs) == {runs[1].pk: 1, runs[0].pk: 2, runs[2].pk: 3}
    # ...a started one leaves the line...
    Run.objects.filter(pk=runs[1].pk).update(status=Run.Status.RUNNING, started_at=timezone.now())
    assert _places(runs) == {runs[0].pk: 1, runs[2].pk: 2}
    # ...a cancelled one leaves it (and is said to be behind everyone until it ends)...
    Run.objects.filter(pk=runs[0].pk).update(cancel_requested=True)
    assert _places(runs)[runs[2].pk] == 1
    # ...and someone else's new run, in a course not served yet, goes before the class's next one
    other = _waiting(nb, make_user(Role.STUDENT), "course:2", 1)
    assert _places([*runs, *other])[other[0].pk] == 1
    assert _places([*runs, *other])[runs[2].pk] == 2


def test_a_run_handed_back_to_the_queue_changes_the_line_even_when_the_counts_do_not(nb, make_user, runner, sent):
    # Given one run running, one sent and one waiting
    first, second, third = _waiting(nb, make_user(Role.STUDENT), "", 3)
    now = timezone.now()
    Run.objects.filter(pk=first.pk).update(status=Run.Status.RUNNING, dispatched_at=now, started_at=now)
    Run.objects.filter(pk=second.pk).update(dispatched_at=now)
    assert _places([first, second, third]) == {second.pk: 1, third.pk: 2}

    # When the running one is handed back, the sent one starts and the waiting one is sent: one of each, as before
    Run.objects.filter(pk=first.pk).update(status=Run.Status.QUEUED, dispatched_at=None, started_at=None)
    Run.objects.filter(pk=second.pk).update(status=Run.Status.RUNNING, started_at=now)
    Run.objects.filter(pk=third.pk).update(dispatched_at=now)

    # Then the line is ordered afresh: the third is next, the handed-back run waits behind it
    assert _places([first, second, third]) == {third.pk: 1, first.pk: 2}
