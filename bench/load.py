"""Load benchmark: 50 concurrent clients for 60 s against gunicorn on PostgreSQL with a Redis broker and
real Celery runners, over a realistic mix (browse the catalogue, guide and statistics pages, API lists,
submit notebook runs and poll their progress). Prints throughput, p50/p99 per request kind and every
error, then waits for the submitted runs to finish and reports how they ended.

    .venv/bin/python bench/load.py                        # 50 clients, 60 s
    .venv/bin/python bench/load.py --clients 20 --seconds 30 --workers 3

It creates (drops first) the database `go3s_load` on postgres://postgres@127.0.0.1:5432 and uses Redis
db 5 on 127.0.0.1:6379 (flushed). The client is a thread per virtual user with `requests` (locust would
add gevent and twenty other packages to the shared environment for the same figures). Everything runs
on this one machine, so the clients, gunicorn, the runners and their kernels share its CPUs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import nbformat
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "go3s_load"
BROKER = "redis://127.0.0.1:6379/5"
PORT = 8765
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}

# kind → weight; each virtual user also submits a run every SUBMIT_EVERY seconds and polls it.
MIX = {
    "page home": 6,
    "page catalogue": 10,
    "page notebook": 8,
    "page guide index": 5,
    "page guide chapter": 10,
    "page stats": 6,
    "page my runs": 6,
    "api notebooks": 10,
    "api notebook": 6,
    "api runs": 8,
    "api stats": 5,
}
SUBMIT_EVERY = 20.0
POLL_EVERY = 1.0


def build_catalogue(root: Path) -> Path:
    for slug, title, source in [
        ("load-short", "Short run", "total = sum(range(steps))\nprint(total)"),
        ("load-numpy", "Numpy run", "import numpy as np\nprint(float(np.ones((steps, steps)).sum()))"),
        ("load-browse", "Only browsed", "print('hello')"),
    ]:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "go3s-factory", "display_name": "Go3s factory", "language": "python"}
        nb.metadata["portal"] = {
            "slug": slug, "title": {"en": title, "zh-hans": title}, "summary": {"en": "load test", "zh-hans": "负载测试"},
            "level": "beginner", "kind": "course", "resources": {"accelerator": "cpu", "expected_minutes": 1},
            "licence": "CC-BY-NC-SA-4.0", "parameters": {"steps": {"min": 1, "max": 100}},
        }  # fmt: skip
        parameters = nbformat.v4.new_code_cell("steps = 3  # size")
        parameters.metadata["tags"] = ["parameters"]
        metrics = nbformat.v4.new_code_cell("from IPython.display import JSON, display\ndisplay(JSON({'steps': steps}))")
        metrics.metadata["tags"] = ["metrics"]
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), parameters, nbformat.v4.new_code_cell(source), metrics]
        (root / "course").mkdir(parents=True, exist_ok=True)
        (root / "course" / f"{slug}.ipynb").write_text(nbformat.writes(nb))
    return root


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class VirtualUser(threading.Thread):
    def __init__(
        self,
        index: int,
        base: str,
        token: str,
        session_cookie: str,
        chapters: list[str],
        stop_at: float,
        results: dict,
        lock: threading.Lock,
    ) -> None:
        super().__init__(daemon=True)
        self.random = random.Random(index)
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        self.http.cookies.set("sessionid", session_cookie, domain="127.0.0.1")
        self.api = requests.Session()  # token only: with the session cookie too, DRF would ask for a CSRF token
        self.api.headers.update({"Accept-Language": "en", "Authorization": f"Token {token}"})
        self.chapters = chapters
        self.stop_at = stop_at
        self.results = results
        self.lock = lock
        self.runs: list[int] = []

    def request(
        self, kind: str, method: str, path: str, *, api: bool = False, json: dict | None = None, expect: int = 200
    ) -> requests.Response | None:
        started = time.perf_counter()
        try:
            http = self.api if api else self.http
            response = http.request(method, self.base + path, json=json, timeout=60, allow_redirects=False)
            error = (
                None
                if response.status_code == expect
                else f"{kind}: {method} {path} → {response.status_code} {response.text[:200]!r}"
            )
        except requests.RequestException as exc:
            response, error = None, f"{kind}: {method} {path} → {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with self.lock:
            self.results["latency"][kind].append(elapsed)
            if error:
                self.results["errors"].append(error)
        return response if error is None else None

    def run(self) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        next_submit = time.monotonic() + self.random.uniform(0, SUBMIT_EVERY)
        next_poll = time.monotonic() + POLL_EVERY
        while time.monotonic() < self.stop_at:
            now = time.monotonic()
            if now >= next_submit:
                next_submit = now + SUBMIT_EVERY
                slug = self.random.choice(["load-short", "load-numpy"])
                body = {"notebook": slug, "parameters": {"steps": self.random.randint(1, 50)}, "queue": "cpu"}
                response = self.request("api submit run", "POST", "/api/v1/runs/", api=True, json=body, expect=201)
                if response is not None:
                    self.runs.append(response.json()["id"])
                continue
            if self.runs and now >= next_poll:
                next_poll = now + POLL_EVERY
                self.request("api poll run", "GET", f"/api/v1/runs/{self.runs[-1]}/", api=True)
                continue
            kind = self.random.choices(kinds, weights)[0]
            path = {
                "page home": "/",
                "page catalogue": "/notebooks/",
                "page notebook": f"/notebooks/{self.random.choice(['load-short', 'load-numpy', 'load-browse'])}/",
                "page guide index": "/guide/",
                "page guide chapter": f"/guide/{self.random.choice(self.chapters)}/",
                "page stats": "/stats/",
                "page my runs": "/runs/",
                "api notebooks": "/api/v1/notebooks/",
                "api notebook": "/api/v1/notebooks/load-short/",
                "api runs": "/api/v1/runs/",
                "api stats": "/api/v1/stats/",
            }[kind]
            self.request(kind, "GET", path, api=kind.startswith("api"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="Celery runners (solo pool, one run at a time each)")
    parser.add_argument("--drain-seconds", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None, help="also write the report to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="go3s-load-"))
    catalogue = build_catalogue(work / "catalogue")
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], check=True, capture_output=True)
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "load-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHI",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PORTAL_DATA_DIR": str(work / "var"),
        "NOTEBOOK_CATALOGUE_DIR": str(catalogue),
        "NOTEBOOK_KERNEL_PREIMPORTS": "numpy",
        "NOTEBOOK_KERNEL_POOL_SIZE": "1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "CELERY_BROKER_URL": BROKER,
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, RoleGrant, User
    from guide.models import Chapter
    from guide.services import guide_import
    from notebooks.models import Run
    from notebooks.services import catalogue_sync

    redis.Redis(db=5).flushdb()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    catalogue_sync(actor=None)
    guide_import(actor=None)
    chapters = list(Chapter.objects.values_list("slug", flat=True)) or ["ch1"]
    users = []
    for index in range(args.clients):
        user = User.objects.create_user(f"load{index}", password=None)
        RoleGrant.objects.create(user=user, role=Role.STUDENT)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        users.append((Token.objects.create(user=user).key, session.session_key))
    assert settings.SESSION_COOKIE_NAME == "sessionid"

    logs = work / "logs"
    logs.mkdir()
    processes = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "portal.wsgi",
                "-w",
                str(args.gunicorn_workers),
                "--threads",
                str(args.gunicorn_threads),
                "-b",
                f"127.0.0.1:{PORT}",
                "--keep-alive",  # longer than a client ever idles: no race between a reused and a closing connection
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=open(logs / "gunicorn.log", "w"),
        )  # fmt: skip
    ]
    for index in range(args.workers):
        processes.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "portal",
                    "worker",
                    "-Q",
                    "notebooks-cpu,default",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    f"--hostname=load{index}@%h",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=subprocess.DEVNULL,
                stderr=open(logs / f"worker{index}.log", "w"),
            )  # fmt: skip
        )
    base = f"http://127.0.0.1:{PORT}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.5)
    time.sleep(5)  # the runners' kernels start

    results: dict = {"latency": defaultdict(list), "errors": []}
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds
    clients = [VirtualUser(i, base, token, cookie, chapters, stop_at, results, lock) for i, (token, cookie) in enumerate(users)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started

    submitted = [run for client in clients for run in client.runs]
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < args.drain_seconds:
        if Run.objects.filter(pk__in=submitted).exclude(status__in=TERMINAL).count() == 0:
            break
        time.sleep(1)
    drain = time.monotonic() - drain_started
    outcome: dict[str, int] = defaultdict(int)
    for status in Run.objects.filter(pk__in=submitted).values_list("status", flat=True):
        outcome[status] += 1
    runs = Run.objects.filter(pk__in=submitted, status="succeeded", started_at__isnull=False, finished_at__isnull=False)
    turnaround = [(run.finished_at - run.created_at).total_seconds() for run in runs]

    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)

    latency = results["latency"]
    total = sum(len(values) for values in latency.values())
    lines = [
        f"# load: {args.clients} clients × {args.seconds} s, gunicorn {args.gunicorn_workers}×{args.gunicorn_threads} (gthread), "
        f"{args.workers} Celery runners, PostgreSQL ({DB}) + Redis ({BROKER}); {os.cpu_count()} CPUs shared by everything",
        f"requests: {total} in {elapsed:.1f} s = {total / elapsed:.1f} req/s; errors: {len(results['errors'])}",
        f"{'kind':<22}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    for kind in sorted(latency):
        values = latency[kind]
        lines.append(
            f"{kind:<22}{len(values):>7}{percentile(values, 0.5) * 1000:>9.0f}{percentile(values, 0.99) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
        )
    lines.append(
        f"runs: {len(submitted)} submitted; after the load, {drain:.0f} s until all ended; outcome {dict(outcome)}"
        + (f"; submit→succeeded median {statistics.median(turnaround):.1f} s, max {max(turnaround):.1f} s" if turnaround else "")
    )
    lines += [f"error: {error}" for error in results["errors"][:50]]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    print(f"(logs under {logs})")


if __name__ == "__main__":
    main()
