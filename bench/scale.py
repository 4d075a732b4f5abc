"""Key pages and API lists at the seeded scale of PRODUCT.md (10,000 models, 100,000 evaluations, 50,000 runs,
1,000 courses) against a minimal Django view on the same machine, and computing a quarter for 10,000 models.

    .venv/bin/python bench/scale.py            # a scratch SQLite database under /tmp/go3s-scale
    SCALE_REPEATS=5 .venv/bin/python bench/scale.py   # a quick look (percentiles of 5 requests mean little)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/go3s_scale .venv/bin/python bench/scale.py

Prints latency percentiles per page (in-process requests through Django's WSGI handler and the whole middleware
stack, DEBUG off, after the process settles as portal/wsgi.py does; pages asked in rounds, beside a fixed piece of
work that shows the machine's own spread), the ratio of the median to the minimal view's, and the query count of each page at a hundredth of the sizes and at the full sizes
(a count that does not grow with rows is the bar). Both tables read the same pages: the same class-scale lab
(30 students, then the same lab grown to 300), the same assignment, run and searches; only the rows grow.
Figures: bench/results/.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from portal.startup import settle  # noqa: E402

# Every page and API list people use, with who looks at it. {course}, {assignment} and {run} are the class-scale
# lab (seed_scale's LAB300: 30 students at a hundredth, 300 at full size), its last assignment and its first run.
PAGES = [
    ("minimal view", "/bench-minimal/", None),
    ("home", "/", None),
    ("about", "/about/", None),
    ("steward dashboard", "/sponsorship/", "demo-steward"),
    ("steward dashboard, filtered", "/sponsorship/?state=certified&failing=", "demo-steward"),
    ("sponsorship verify", "/sponsorship/verify/", None),
    ("health list", "/health/", None),
    ("model list", "/models/", None),
    ("model list, search", "/models/?q=scale-0000", None),
    ("model page", "/models/digits-robust/", None),
    ("model health page", "/health/digits-robust/", None),
    ("audits home", "/audits/", "demo-auditor"),
    ("curation home", "/curation/", "demo-curator"),
    ("toolchain home", "/toolchain/", "demo-maintainer"),
    ("runners", "/runners/", "demo-maintainer"),
    ("notebooks", "/notebooks/", None),
    ("my runs", "/runs/", "demo-student"),
    ("run page", "/runs/{run}/", "demo-instructor"),
    ("my work", "/me/", "demo-student"),
    ("my models (an owner)", "/me/models/", "demo-curator"),
    ("notifications", "/accounts/notifications/", "demo-student"),
    ("people", "/people/", None),
    ("stats", "/stats/", None),
    ("guide", "/guide/", None),
    ("guide search", "/guide/search/?q=learning", None),
    ("courses", "/courses/", "demo-instructor"),
    ("course page (instructor)", "/courses/{course}/", "demo-instructor"),
    ("grade book", "/courses/{course}/gradebook/", "demo-instructor"),
    ("assignment page", "/courses/assignments/{assignment}/", "demo-instructor"),
    ("assignment grades", "/courses/assignments/{assignment}/grades/", "demo-instructor"),
    ("derived projects", "/courses/projects/", None),
    ("audit log (admin)", "/accounts/audit-log/", "demo-admin"),
    ("role queue (admin)", "/accounts/roles/queue/", "demo-admin"),
    ("API models", "/api/v1/models/", None),
    ("API models, search", "/api/v1/models/?q=scale-0000", None),
    ("API model health", "/api/v1/models/digits-robust/health/", None),
    ("API audits", "/api/v1/audits/", "demo-auditor"),
    ("API runs", "/api/v1/runs/", "demo-student"),
    ("API runs (a lab student)", "/api/v1/runs/", "lab-student-0001"),
    ("API run", "/api/v1/runs/{run}/", "demo-instructor"),
    ("API runners", "/api/v1/runners/", "demo-maintainer"),
    ("API notebooks", "/api/v1/notebooks/", None),
    ("API courses", "/api/v1/courses/", "demo-instructor"),
    ("API grade book", "/api/v1/courses/{course}/gradebook/", "demo-instructor"),
    ("API assignment runs", "/api/v1/assignments/{assignment}/runs/", "demo-instructor"),
    ("API datasets", "/api/v1/datasets/", "demo-curator"),
    ("API benchmarks", "/api/v1/benchmarks/", "demo-maintainer"),
    ("API regressions", "/api/v1/regressions/", "demo-maintainer"),
    ("API quarters", "/api/v1/sponsorship/quarters/", "demo-steward"),
    ("API derived projects", "/api/v1/derived-projects/", None),
    ("API role applications", "/api/v1/roles/applications/", "demo-admin"),
    ("API stats", "/api/v1/stats/", None),
    ("API my models", "/api/v1/me/models/", "demo-curator"),
]


def page_ids() -> dict[str, int]:
    """The lab whose pages are measured: seed_scale's class-scale one."""
    from courses.models import Assignment, Course, Submission

    course = Course.objects.get(code="LAB300")
    assignment = Assignment.objects.filter(course=course).order_by("-pk").first()
    submission = Submission.objects.filter(assignment__course=course).order_by("pk").first()
    return {
        "course": course.pk,
        "assignment": assignment.pk if assignment else 0,
        "run": submission.run_id if submission else 0,
    }


# Rounds per table: a p95 of 30 requests is their second-slowest, and a full garbage collection (10-16 ms, now and
# then ~100 ms, a few per table at scale) that lands twice on one page made it; of 100, the fifth-slowest.
REPEATS = int(os.environ.get("SCALE_REPEATS", "100"))
MACHINE = "fixed work (the machine)"
# seed_scale's sizes (PRODUCT.md), and the hundredth the first table reads.
FULL = {"models": 10_000, "evaluations": 100_000, "runs": 50_000, "courses": 1_000, "class_size": 300}
# The lab at a tenth (30 students): its lists span more than one page at both sizes, as the count of a paged list
# is one query more than a list that fits on its first page.
HUNDREDTH = {name: size // 100 for name, size in FULL.items()} | {"class_size": 30}


@contextmanager
def served() -> Iterator[None]:
    """The portal as it serves in production, DEBUG off, settled as a web process settles after start-up
    (portal/wsgi.py: views loaded, templates compiled, all of it frozen out of the garbage collector's way). With DEBUG
    on, Django keeps the last 9,000 queries' SQL in memory, which full collections walked for 11-20 ms every few
    seconds, and turning it off resets the template engine: settling comes after, so the templates compiled are the
    ones served. The database was seeded with DEBUG on (seed_scale refuses otherwise)."""
    with override_settings(DEBUG=False):
        settle()
        yield


def fixed_work() -> None:
    """The same piece of pure Python every time (about 10 ms here): timed among the pages, its spread is the
    machine's own, which no page can be faster than."""
    sum(i * i for i in range(200_000))


def wsgi_get(url: str, client: Client) -> Callable[[], int]:
    """A GET of `url` as a WSGI server makes it, with `client`'s session cookie: through Django's WSGI handler, its
    request signals and the whole middleware stack, the body read to its end. Not through the test client, which also
    copies every rendered template's context into the response for tests to read: work no served request does."""
    handler = WSGIHandler()
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    environ = RequestFactory().get(url, HTTP_COOKIE=cookie).environ

    def get() -> int:
        statuses: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], object]:
            statuses.append(status)
            return lambda data: None

        body = handler(dict(environ), start_response)
        try:
            b"".join(body)
        finally:
            body.close()
        return int(statuses[0].split()[0])

    return get


def timed(request: Callable[[], Any]) -> float:
    started = time.perf_counter()
    request()
    return (time.perf_counter() - started) * 1000


def table(label: str) -> dict[str, tuple[float, int, float]]:
    """Each page's percentiles over REPEATS rounds; each round requests every page once, so a slow moment of the
    machine falls on the pages alike instead of on whichever page was being measured then."""
    from accounts.models import User

    clients: dict[str | None, Client] = {None: Client()}
    ids = page_ids()
    requests: dict[str, Callable[[], Any]] = {}
    for name, url, username in PAGES:
        if username not in clients:
            user = User.objects.filter(username=username).first()
            if user is None:
                continue  # a user this database does not have
            client = Client()
            client.force_login(user)
            clients[username] = client
        requests[name] = wsgi_get(url.format(**ids), clients[username])
    statuses, queries = {}, {}
    for name, request in requests.items():  # warm-up, and each page's status and query count
        request()
        request()
        with CaptureQueriesContext(connection) as captured:
            statuses[name] = request()
        queries[name] = len(captured.captured_queries)
    requests[MACHINE] = fixed_work
    times: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(REPEATS):
        for name, request in requests.items():
            times[name].append(timed(request))
    print(f"\n{label}\n{'page':<30} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'× minimal':>10} {'queries':>8}")
    minimal = statistics.median(times[PAGES[0][0]])
    results: dict[str, tuple[float, int, float]] = {}
    for name in requests:
        p50 = statistics.median(times[name])
        quantiles = statistics.quantiles(times[name], n=100)
        results[name] = (p50, queries.get(name, 0), quantiles[94])
        status = statuses.get(name, "")
        print(
            f"{name:<30} {status:>6} {p50:>8.2f} {quantiles[94]:>8.2f} {quantiles[98]:>8.2f} {p50 / minimal:>10.2f} {queries.get(name, 0):>8}"
        )
    p50, _, p95 = results[MACHINE]
    print(f"the machine's own spread: the same work took {p95 / p50:.2f}× its median at the 95th percentile")
    return results


def quarter_timing() -> None:
    """Computes a quarter for every certified model five times, freezes it (the sealed manifest lists every model),
    and leaves a second one computed: the steward dashboard at scale shows both."""
    from governance.models import Quarter
    from governance.selectors.health import certified_now
    from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open

    for label in ("2030Q1", "2030Q2"):
        if not Quarter.objects.filter(label=label).exists():
            quarter_open(actor=None, label=label, pool_minor_units=100_000_000, currency="CNY")
    # The first run freezes 2030Q1; a run with --reuse times the computation on 2030Q2, still open.
    label = "2030Q1" if not Quarter.objects.get(label="2030Q1").frozen else "2030Q2"
    times = []
    for _ in range(5):
        started = time.perf_counter()
        quarter = quarter_compute(actor=None, label=label)
        times.append(time.perf_counter() - started)
    print(f"\nquarter compute: {quarter.eligible_count} eligible of {certified_now().model.objects.count()} certifications; "
          f"median {statistics.median(times):.3f} s, max {max(times):.3f} s over 5 runs")  # fmt: skip
    if label == "2030Q1":
        started = time.perf_counter()
        quarter_freeze(actor=None, label="2030Q1")
        print(f"quarter freeze (the sealed manifest): {time.perf_counter() - started:.3f} s")
        quarter_compute(actor=None, label="2030Q2")


def cpu_figure() -> float:
    """Milliseconds this machine takes for a fixed piece of pure Python (the best of five). A page here is mostly
    Python, so figures taken on machines of different speed compare once each is divided by its machine's figure."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    fresh = "--reuse" not in sys.argv
    print(f"machine: {os.cpu_count()} cores; a million-step Python loop takes {cpu_figure():.0f} ms (best of 5)")
    if fresh and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        shutil.rmtree(SCRATCH, ignore_errors=True)
        SCRATCH.mkdir(parents=True)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} {settings.DATABASES['default']['NAME']}")
    if fresh:
        call_command("migrate", verbosity=0)
        call_command("sync_catalogue", verbosity=0)
        call_command("import_guide", verbosity=0)  # the about page and the guide are its chapters
        call_command("demo_data", verbosity=0)
    with override_settings(ROOT_URLCONF="bench.scale_urls", ALLOWED_HOSTS=["*"]):
        if fresh:
            call_command("seed_scale", verbosity=0, certified_share=1.0, **HUNDREDTH)
            with served():
                small = table(
                    "a hundredth of the sizes (100 seeded models, 1,000 evaluations, 500 runs, 10 courses, a lab of 30)"
                )
            started = time.perf_counter()
            # Counts add to what is there; the lab's size is its whole class (its first 30 students stay in it).
            rest = {name: FULL[name] - HUNDREDTH[name] for name in ("models", "evaluations", "runs", "courses")}
            call_command("seed_scale", verbosity=0, certified_share=1.0, class_size=FULL["class_size"], **rest)
            print(f"\nseeded the rest in {time.perf_counter() - started:.0f} s")
        quarter_timing()
        with served():
            large = table("seeded scale (10,000+ models, 100,000+ evaluations, 50,000 runs, 1,000 courses, a lab of 300, "
                          "a sealed quarter of 10,000 models)")  # fmt: skip
        if fresh:
            grew = [
                f"{name} ({small[name][1]} -> {large[name][1]})"
                for name in large
                if name in small and large[name][1] > small[name][1]
            ]
            print(f"\nquery counts that grew with rows (a hundredth -> full sizes, same pages): {grew or 'none'}")
        slow = [name for name, (_, _, p95) in large.items() if p95 > 50 and name not in ("minimal view", MACHINE)]
        print(f"p95 above 50 ms at scale: {slow or 'none'}")
        print(f"machine, after: a million-step Python loop takes {cpu_figure():.0f} ms (best of 5)")


if __name__ == "__main__":
    main()
