"""Bare papermill against the portal's run engine, on the same notebooks and machine.

For each notebook it alternates (a) the bare `papermill in.ipynb out.ipynb` CLI and (b) a run through
the portal: API submit → broker → runner → succeeded with its HTML stored, polled over the API. It
prints the medians and the ratio (b)/(a), then the throughput of two runners against two bare papermill
processes in parallel.

    .venv/bin/python bench/run_engine.py                 # Redis broker + PostgreSQL (production-like)
    .venv/bin/python bench/run_engine.py --embedded      # file-system broker + SQLite (the default setup)
    .venv/bin/python bench/run_engine.py --pairs 10 --only short,torch
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOTEBOOKS = {
    "short": ["total = sum(range(steps))", "print(total)"],
    "torch": ["import torch\nx = torch.ones(steps, steps)\nprint(float(x.sum()))"],
    "30s": ["import time\nstart = time.time()\nwhile time.time() - start < 30:\n    sum(range(1000))\nprint('done')"],
}


def build_catalogue(root: Path) -> Path:
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "go3s-factory", "display_name": "Go3s factory", "language": "python"}
        nb.metadata["portal"] = {
            "slug": f"bench-{name}", "title": f"bench {name}", "summary": "benchmark", "level": "beginner", "kind": "course",
            "resources": {"accelerator": "cpu", "expected_minutes": 1}, "licence": "CC-BY-NC-SA-4.0",
        }  # fmt: skip
        parameters = nbformat.v4.new_code_cell("steps = 3  # size")
        parameters.metadata["tags"] = ["parameters"]
        metrics = nbformat.v4.new_code_cell("from IPython.display import JSON, display\ndisplay(JSON({'steps': steps}))")
        metrics.metadata["tags"] = ["metrics"]
        nb.cells = [parameters, *(nbformat.v4.new_code_cell(source) for source in cells), metrics]
        (root / "course").mkdir(parents=True, exist_ok=True)
        (root / "course" / f"bench-{name}.ipynb").write_text(nbformat.writes(nb))
    return root


def bare_papermill(path: Path, out_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/papermill"), str(path), str(out_dir / path.name), "-k", "go3s-factory", "--no-progress-bar"],
        check=True, capture_output=True, cwd=path.parent,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded", action="store_true", help="file-system broker and SQLite instead of Redis and PostgreSQL")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--only", default="short,torch,30s")
    parser.add_argument("--throughput-runs", type=int, default=12)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="go3s-bench-"))
    catalogue = build_catalogue(work / "catalogue")
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
        "ALLOWED_HOSTS": "testserver,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "PORTAL_DATA_DIR": str(work / "var"),
        "NOTEBOOK_CATALOGUE_DIR": str(catalogue),
        "NOTEBOOK_KERNEL_PREIMPORTS": "numpy,torch",
        "NOTEBOOK_KERNEL_POOL_SIZE": "1",
    }
    if args.embedded:
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
        env["CELERY_BROKER_URL"] = "filesystem://"
    else:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "DROP DATABASE IF EXISTS go3s_bench"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE go3s_bench"], check=True, capture_output=True
        )
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/go3s_bench"
        env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/12"
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from accounts.models import Role, RoleGrant, User
    from notebooks.services import catalogue_sync

    call_command("migrate", verbosity=0)
    catalogue_sync(actor=None)
    user = User.objects.create_user("bench", password="bench-password")
    RoleGrant.objects.create(user=user, role=Role.ADMINISTRATOR)
    client = APIClient()
    client.force_authenticate(user)
    if not args.embedded:
        import redis

        redis.Redis(db=12).flushdb()

    def start_workers(count: int, preimports: str = "numpy,torch") -> list[subprocess.Popen[bytes]]:
        worker_env = {**os.environ, "NOTEBOOK_KERNEL_PREIMPORTS": preimports}
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
                    f"--hostname=bench{index}@%h",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=open(work / f"worker{index}.log", "w"),
            )  # fmt: skip
            for index in range(count)
        ]
        time.sleep(8)  # the worker starts and its pool's kernel (with torch imported) is ready
        return workers

    def stop(workers: list[subprocess.Popen[bytes]]) -> None:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    phases: dict[str, list[float]] = {}

    def record_phases(run_id: int, submitted: float, result_seen: float) -> None:
        """Where one run's time went, from the run's own timestamps (seconds)."""
        from notebooks.models import Run

        run = Run.objects.get(pk=run_id)
        marks = [
            ("submit → claimed by a runner", run.created_at, run.started_at),
            ("claimed → kernel ready", run.started_at, run.kernel_ready_at),
            ("executing cells", run.kernel_ready_at, run.executed_at),
            ("render + store result", run.executed_at, run.finished_at),
        ]
        for label, start, end in marks:
            if start and end:
                phases.setdefault(label, []).append((end - start).total_seconds())
        phases.setdefault("result stored → client sees it", []).append(result_seen - run.finished_at.timestamp())

    def through_portal(slug: str) -> float:
        started = time.perf_counter()
        submitted_at = time.time()
        run_id = client.post("/api/v1/runs/", {"notebook": slug}, format="json").json()["id"]
        while True:
            body = client.get(f"/api/v1/runs/{run_id}/").json()
            if body["status"] in {"succeeded", "failed", "cancelled", "timed_out"}:
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        if body["status"] != "succeeded" or not body["html_url"]:
            raise SystemExit(f"run {run_id} ended {body['status']}: {body['error']}")
        record_phases(run_id, submitted_at, time.time())
        time.sleep(1.5)  # let the pool refill its kernel, as it would between students' runs
        return elapsed

    broker = "file-system broker + SQLite" if args.embedded else "Redis broker + PostgreSQL"
    print(f"# run engine vs bare papermill — {broker}, {args.pairs} alternating pairs, medians")
    print(f"{'notebook':<10} {'papermill s':>12} {'portal s':>10} {'ratio':>7}")
    workers = start_workers(1)
    out = work / "out"
    out.mkdir()
    try:
        for name in args.only.split(","):
            path = catalogue / "course" / f"bench-{name}.ipynb"
            pairs = args.pairs if name != "30s" else max(3, min(args.pairs, 5))
            bare, portal = [], []
            for _ in range(pairs):
                bare.append(bare_papermill(path, out))
                portal.append(through_portal(f"bench-{name}"))
            ratio = statistics.median(portal) / statistics.median(bare)
            print(f"{name:<10} {statistics.median(bare):>12.3f} {statistics.median(portal):>10.3f} {ratio:>7.2f}   (n={pairs})")
            for label, values in phases.items():
                print(f"    {label:<34} median {statistics.median(values) * 1000:>8.1f} ms")
            phases.clear()
    finally:
        stop(workers)

    # Throughput: two runners against two bare papermill processes side by side, back to back.
    n = args.throughput_runs
    if not n:
        return
    path = catalogue / "course" / "bench-short.ipynb"
    started = time.perf_counter()
    for start in range(0, n, 2):
        processes = [
            subprocess.Popen([str(ROOT / ".venv/bin/papermill"), str(path), str(out / f"t{start + i}.ipynb"), "-k", "go3s-factory", "--no-progress-bar"],
                             cwd=path.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(2)
        ]  # fmt: skip
        for process in processes:
            process.wait()
    bare_rate = n / (time.perf_counter() - started) * 60
    workers = start_workers(2, preimports="numpy")  # the default: light notebooks need no torch
    try:
        started = time.perf_counter()
        ids = [client.post("/api/v1/runs/", {"notebook": "bench-short"}, format="json").json()["id"] for _ in range(n)]
        from notebooks.models import Run

        while Run.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
            time.sleep(0.02)
        portal_rate = n / (time.perf_counter() - started) * 60
        failed = Run.objects.filter(pk__in=ids).exclude(status="succeeded").count()
    finally:
        stop(workers)
    print(
        f"throughput, 2 in parallel, {n} short runs: papermill {bare_rate:.1f} runs/min, portal {portal_rate:.1f} runs/min ({failed} failed)"
    )


if __name__ == "__main__":
    main()
