"""A class burst: 300 students of course A submit at once, then 10 students of course B, against two runners.

Measures what fair dispatch (notebooks/fair_queue.py) promises: course B is not held behind course A.
Reports, per course, the time from its first submission to its first result and the p50/p95 of submit → result;
the runs lost (not succeeded, must be 0); the runs executed twice (a second attempt, must be 0); and the
execution-cache hits (the portal has no execution cache yet: always 0, printed so the figure is not
mistaken for one).

    .venv/bin/python bench/class_burst.py                 # Redis broker + PostgreSQL (database go3s_burst)
    .venv/bin/python bench/class_burst.py --embedded      # file-system broker + SQLite
    .venv/bin/python bench/class_burst.py --fifo          # the same burst with fair dispatch off (baseline)

Runs are submitted through the run service with a 3-cell notebook; two Celery workers (`--pool=solo`,
one slot each) execute them in their kernel sandbox. `--fifo` sends every run to the broker at once, as
the portal did before fair dispatch, for the side-by-side figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run_engine import build_catalogue  # noqa: E402  (the benchmark notebooks)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded", action="store_true")
    parser.add_argument("--fifo", action="store_true", help="send every run at once (no fair dispatch)")
    parser.add_argument("--large", type=int, default=300)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--runners", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="go3s-burst-"))
    catalogue = build_catalogue(work / "catalogue")
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "0",
        "PORTAL_DATA_DIR": str(work / "var"),
        "NOTEBOOK_CATALOGUE_DIR": str(catalogue),
        "NOTEBOOK_KERNEL_PREIMPORTS": "numpy",
        "NOTEBOOK_KERNEL_POOL_SIZE": "1",
        "NOTEBOOK_MAX_ACTIVE_RUNS_PER_USER": "1000",
    }
    if args.embedded:
        env["DATABASE_URL"] = f"sqlite:///{work / 'burst.sqlite3'}"
        env["CELERY_BROKER_URL"] = "filesystem://"
    else:
        for sql in ("DROP DATABASE IF EXISTS go3s_burst", "CREATE DATABASE go3s_burst"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], check=True, capture_output=True)
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/go3s_burst"
        env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/7"
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from accounts.models import AuditLogEntry, Role, RoleGrant, User
    from notebooks.models import Notebook, Run, Runner
    from notebooks.services import catalogue_sync, run_dispatch, run_enqueue

    call_command("migrate", verbosity=0)
    catalogue_sync(actor=None)
    if not args.embedded:
        import redis

        redis.Redis(db=7).flushdb()
    notebook = Notebook.objects.get(slug="bench-short")

    def students(prefix: str, count: int) -> list[User]:
        users = User.objects.bulk_create([User(username=f"{prefix}{index}") for index in range(count)])
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=Role.STUDENT) for user in users])
        return list(User.objects.filter(username__startswith=prefix).order_by("pk"))

    course_a, course_b = students("a-", args.large), students("b-", args.small)

    workers = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "portal",
                "worker",
                "-Q",
                "notebooks-cpu",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=burst{index}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=open(work / f"worker{index}.log", "w"),
        )  # fmt: skip
        for index in range(args.runners)
    ]
    try:
        deadline = time.time() + 120
        while Runner.objects.filter(stopped_at__isnull=True).count() < args.runners:
            if time.time() > deadline:
                raise SystemExit("the runners did not register within two minutes")
            time.sleep(0.5)
        time.sleep(3)  # each runner's pooled kernel is ready

        if args.fifo:  # the old behaviour: every run goes to the broker as it is submitted
            import notebooks.services

            notebooks.services.dispatch_fairly = lambda queue: []  # type: ignore[assignment]

        burst = time.time()
        submitted: dict[int, tuple[str, float]] = {}
        for course, people in (("A", course_a), ("B", course_b)):
            for person in people:
                run = run_enqueue(actor=person, notebook=notebook, parameters={}, share=f"course:{course}", per_user_quota=True)
                submitted[run.pk] = (course, time.time())
                if args.fifo:
                    run_dispatch(run_id=run.pk)
        submit_seconds = time.time() - burst

        finished: dict[int, float] = {}
        last_progress = time.time()
        while len(finished) < len(submitted) and time.time() - last_progress < 180:
            ended = Run.objects.filter(pk__in=submitted, status__in=Run.TERMINAL).exclude(pk__in=finished)
            for run_id, at in ended.values_list("pk", "finished_at"):
                finished[run_id] = at.timestamp()
                last_progress = time.time()
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)

    runs = {run.pk: run for run in Run.objects.filter(pk__in=submitted)}
    lost = [pk for pk, run in runs.items() if run.status != Run.Status.SUCCEEDED]
    twice = [pk for pk, run in runs.items() if run.attempt > 1]
    requeued = AuditLogEntry.objects.filter(action="run.requeue").count()
    mode = "FIFO (every run sent at once)" if args.fifo else "fair dispatch"
    broker = "file-system broker + SQLite" if args.embedded else "Redis broker + PostgreSQL"
    print(f"# bench/class_burst.py — {mode}, {broker}, {args.runners} runners (solo pool, 1 slot each)")
    print(
        f"# {args.large} runs of course A submitted first, then {args.small} of course B ({submit_seconds:.1f} s to submit all)"
    )
    print("# 'A ahead of B': runs of A that started after B's first submission and before B's first run started")
    print(f"{'course':<8}{'runs':>6}{'first result s':>16}{'p50 s':>9}{'p95 s':>9}{'A ahead of B':>14}")
    b_submitted = min(at for course, at in submitted.values() if course == "B")
    started = {pk: run.started_at.timestamp() for pk, run in runs.items() if run.started_at}
    b_first_start = min((started[pk] for pk in started if submitted[pk][0] == "B"), default=float("inf"))
    ahead = sum(1 for pk in started if submitted[pk][0] == "A" and b_submitted <= started[pk] < b_first_start)
    for course in ("A", "B"):
        ids = [pk for pk in submitted if submitted[pk][0] == course and pk in finished]
        waits = [finished[pk] - submitted[pk][1] for pk in ids]
        first = min(finished[pk] for pk in ids) - (burst if course == "A" else b_submitted) if ids else float("nan")
        column = str(ahead) if course == "B" else ""
        print(f"{course:<8}{len(ids):>6}{first:>16.1f}{percentile(waits, 0.5):>9.1f}{percentile(waits, 0.95):>9.1f}{column:>14}")
    print(f"runs lost: {len(lost)}   runs executed twice: {len(twice)} (requeued by the reaper: {requeued})   cache hits: 0")
    per_runner = Run.objects.filter(pk__in=submitted).values("runner__hostname").annotate(n=Count("pk"))
    print("runs per runner:", {row["runner__hostname"]: row["n"] for row in per_runner})


if __name__ == "__main__":
    main()
