"""Key pages and API lists at the seeded scale of PRODUCT.md (10,000 models, 100,000 evaluations, 50,000 runs,
1,000 courses) against a minimal Django view on the same machine, and computing a quarter for 10,000 models.

    .venv/bin/python bench/scale.py            # a scratch SQLite database under /tmp/go3s-scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/go3s_scale .venv/bin/python bench/scale.py

Prints latency percentiles per page (in-process requests through the whole middleware stack), the ratio of the
median to the minimal view's, and the query count at 10,000 models next to the count on an almost empty
database (a count that does not grow with rows is the bar). Figures: bench/results/scale.txt.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = Path(os.environ.get("SCALE_DIR", "/tmp/go3s-scale"))
os.environ.setdefault("PORTAL_DATA_DIR", str(SCRATCH))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

PAGES = [
    ("minimal view", "/bench-minimal/", None),
    ("steward dashboard", "/sponsorship/", "demo-steward"),
    ("steward dashboard, filtered", "/sponsorship/?state=certified&failing=", "demo-steward"),
    ("health list", "/health/", None),
    ("model list", "/models/", None),
    ("model health page", "/health/digits-robust/", None),
    ("my runs", "/runs/", "demo-student"),
    ("audits home", "/audits/", "demo-auditor"),
    ("API models", "/api/v1/models/", None),
    ("API model health", "/api/v1/models/digits-robust/health/", None),
    ("API audits", "/api/v1/audits/", "demo-auditor"),
    ("API runs", "/api/v1/runs/", "demo-student"),
    ("API courses", "/api/v1/courses/", "demo-instructor"),
    ("API stats", "/api/v1/stats/", None),
    ("my models (an owner)", "/me/models/", "demo-curator"),
    ("API my models", "/api/v1/me/models/", "demo-curator"),
]


def measure(client: Client, url: str, repeats: int = 30) -> tuple[list[float], int, int]:
    for _ in range(3):
        client.get(url)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return times, len(queries.captured_queries), response.status_code


def table(label: str) -> dict[str, tuple[float, int]]:
    from accounts.models import User

    clients: dict[str | None, Client] = {None: Client()}
    results: dict[str, tuple[float, int]] = {}
    print(f"\n{label}\n{'page':<30} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'× minimal':>10} {'queries':>8}")
    minimal = None
    for name, url, username in PAGES:
        if username not in clients:
            client = Client()
            client.force_login(User.objects.get(username=username))
            clients[username] = client
        times, queries, status = measure(clients[username], url)
        p50 = statistics.median(times)
        quantiles = statistics.quantiles(times, n=100)
        minimal = minimal or p50
        results[name] = (p50, queries)
        print(
            f"{name:<30} {status:>6} {p50:>8.2f} {quantiles[94]:>8.2f} {quantiles[98]:>8.2f} {p50 / minimal:>10.2f} {queries:>8}"
        )
    return results


def quarter_timing() -> None:
    from governance.models import Quarter
    from governance.selectors.health import certified_now
    from governance.services.sponsorship import quarter_compute, quarter_open

    if not Quarter.objects.filter(label="2030Q1").exists():
        quarter_open(actor=None, label="2030Q1", pool_minor_units=100_000_000, currency="CNY")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        quarter = quarter_compute(actor=None, label="2030Q1")
        times.append(time.perf_counter() - started)
    print(f"\nquarter compute: {quarter.eligible_count} eligible of {certified_now().model.objects.count()} certifications; "
          f"median {statistics.median(times):.3f} s, max {max(times):.3f} s over 5 runs")  # fmt: skip


def main() -> None:
    fresh = "--reuse" not in sys.argv
    if fresh and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        shutil.rmtree(SCRATCH, ignore_errors=True)
        SCRATCH.mkdir(parents=True)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} {settings.DATABASES['default']['NAME']}")
    if fresh:
        call_command("migrate", verbosity=0)
        call_command("sync_catalogue", verbosity=0)
        call_command("demo_data", verbosity=0)
    with override_settings(ROOT_URLCONF="bench.scale_urls", ALLOWED_HOSTS=["*"]):
        if fresh:
            small = table("demo data only (51 models)")
            started = time.perf_counter()
            call_command("seed_scale", verbosity=0, certified_share=1.0)
            print(f"\nseeded in {time.perf_counter() - started:.0f} s")
        large = table("seeded scale (10,000+ models, 100,000+ evaluations, 50,000 runs, 1,000 courses)")
        if fresh:
            grew = [name for name in large if large[name][1] > small[name][1]]
            print(f"\nquery counts that grew with rows: {grew or 'none'}")
    quarter_timing()


if __name__ == "__main__":
    main()
