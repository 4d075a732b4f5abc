"""Permission-matrix rows for the curation and toolchain routes (see tests/portal/test_permission_matrix.py).

What is declared: released datasets are public; a draft is visible to curators and administrators only (404
for everyone else, the anonymous included); curator-only endpoints answer 401/302 to the anonymous and 403 to
other roles before any lookup. Toolchain pages and API are for any signed-in member; writes for maintainers.
Every request on a dataset route gets a fresh draft (with an item, a flag, a scan), so earlier visitors'
POSTs do not change the answer.
"""

from __future__ import annotations

import itertools
from typing import Any

from curation.models import Annotation, Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm
from notebooks.models import Notebook
from toolchain.models import Benchmark

VISITORS: dict[str, list[str]] = {}

CURATORS_PAGE = {"anonymous": 302, "curator": 200, "administrator": 200, "*": 403}
CURATORS_API = {"anonymous": 401, "curator": 200, "administrator": 200, "*": 403}
DRAFT_VISIBLE = {"curator": 200, "administrator": 200, "*": 404}
SIGNED_IN = {"anonymous": 302, "*": 200}
API_SIGNED_IN = {"anonymous": 401, "*": 200}


def _curators(status: int, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, "curator": status, "administrator": status, "*": 403}


def _maintainers(status: int, anonymous: int) -> dict[str, int]:
    return {"anonymous": anonymous, "maintainer": status, "administrator": status, "*": 403}


ROUTES: dict[str, dict[str, dict[str, int]]] = {
    # Curation pages
    "curation/": {"GET": CURATORS_PAGE},
    "curation/datasets/new/": {"POST": _curators(400, 302)},
    "curation/deny-list/": {"GET": CURATORS_PAGE, "POST": _curators(400, 302)},
    "curation/deny-list/<int:pk>/remove/": {"POST": _curators(302, 302)},
    "curation/datasets/<slug:slug>/": {"GET": DRAFT_VISIBLE},
    "curation/datasets/<slug:slug>/import/": {"POST": _curators(400, 302)},
    "curation/datasets/<slug:slug>/release/": {"POST": _curators(409, 302)},
    "curation/datasets/<slug:slug>/block/": {"POST": _curators(400, 302)},
    "curation/datasets/<slug:slug>/versions/": {"POST": _curators(409, 302)},
    "curation/datasets/<slug:slug>/arbitration/": {"GET": CURATORS_PAGE},
    "curation/datasets/<slug:slug>/arbitration/<int:item_id>/": {"POST": _curators(400, 302)},
    "curation/datasets/<slug:slug>/labels/": {"POST": _curators(400, 302)},
    "curation/datasets/<slug:slug>/pii/": {"GET": CURATORS_PAGE},
    "curation/datasets/<slug:slug>/pii/scan/": {"POST": _curators(409, 302)},
    "curation/datasets/<slug:slug>/pii/flags/<int:pk>/": {"POST": _curators(400, 302)},
    # Curation API
    "api/v1/datasets/": {"GET": {"*": 200}, "POST": _curators(400, 401)},
    "api/v1/datasets/<slug:slug>/": {"GET": DRAFT_VISIBLE},
    "api/v1/datasets/<slug:slug>/versions/": {"POST": _curators(409, 401)},
    "api/v1/datasets/<slug:slug>/import/": {"POST": _curators(400, 401)},
    "api/v1/datasets/<slug:slug>/agreement/": {"GET": DRAFT_VISIBLE},
    "api/v1/datasets/<slug:slug>/arbitration/": {"GET": CURATORS_API},
    "api/v1/datasets/<slug:slug>/rulings/": {"GET": CURATORS_API, "POST": _curators(400, 401)},
    "api/v1/datasets/<slug:slug>/pii-scans/": {"GET": CURATORS_API, "POST": _curators(409, 401)},
    "api/v1/datasets/<slug:slug>/pii-scans/<int:pk>/": {"GET": CURATORS_API},
    "api/v1/datasets/<slug:slug>/flags/": {"GET": CURATORS_API},
    "api/v1/datasets/<slug:slug>/flags/<int:pk>/": {"GET": CURATORS_API, "POST": _curators(400, 401)},
    "api/v1/datasets/<slug:slug>/flags/<int:pk>/resolve/": {"POST": _curators(400, 401)},
    "api/v1/datasets/<slug:slug>/release/": {"POST": _curators(409, 401)},
    "api/v1/datasets/<slug:slug>/block/": {"POST": _curators(400, 401)},
    "api/v1/pii-terms/": {"GET": CURATORS_API, "POST": _curators(400, 401)},
    "api/v1/pii-terms/<int:pk>/": {"DELETE": _curators(204, 401)},
    # Toolchain pages
    "toolchain/": {"GET": SIGNED_IN},
    "toolchain/benchmarks/new/": {"POST": _maintainers(400, 302)},
    "toolchain/benchmarks/<slug:slug>/": {"GET": SIGNED_IN},
    "toolchain/benchmarks/<slug:slug>/run/": {"POST": _maintainers(302, 302)},
    # Toolchain API
    "api/v1/benchmarks/": {"GET": API_SIGNED_IN, "POST": _maintainers(400, 401)},
    "api/v1/benchmarks/<slug:slug>/": {"GET": API_SIGNED_IN},
    "api/v1/benchmarks/<slug:slug>/runs/": {"GET": API_SIGNED_IN, "POST": _maintainers(201, 401)},
    "api/v1/benchmarks/<slug:slug>/results/": {"GET": API_SIGNED_IN},
    "api/v1/regressions/": {"GET": API_SIGNED_IN},
}

_counter = itertools.count()


def world(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    released = Dataset.objects.create(slug="open-data", owner=users["curator"], licence="CC-BY-4.0", state=Dataset.State.RELEASED)
    DatasetItem.objects.create(dataset=released, key="1", text="public text", final_label="a", final_label_source="majority")
    benchmark = Benchmark.objects.create(
        slug="bench", title="Bench", notebook=Notebook.objects.get(slug="short"), parameters={"steps": 3, "device": "auto"},
        metric_key="loss", higher_is_better=False, regression_threshold_percent=10, created_by=users["maintainer"],
    )  # fmt: skip
    return {"users": users, "released": released, "benchmark": benchmark}


def _fresh_draft(world: dict[str, Any]) -> dict[str, Any]:
    """A draft with one undecided item, an open flag on it and a running scan (so a new scan is refused)."""
    dataset = Dataset.objects.create(slug=f"draft-{next(_counter)}", owner=world["users"]["curator"], licence="CC-BY-4.0")
    item = DatasetItem.objects.create(dataset=dataset, key="1", text="call 13812345678")
    Annotation.objects.bulk_create(
        [Annotation(item=item, annotator="a", label="x"), Annotation(item=item, annotator="b", label="y")]
    )
    scan = PiiScan.objects.create(
        dataset=dataset, started_by=world["users"]["curator"], status=PiiScan.Status.RUNNING, items_total=1
    )
    flag = PiiFlag.objects.create(dataset=dataset, item=item, scan=scan, start=5, end=16, kind="phone", text="13812345678")
    return {"dataset": dataset, "item": item, "scan": scan, "flag": flag}


def url(route: str, world: dict[str, Any], visitor: str, make_user: Any) -> str | None:
    if route not in ROUTES:
        return None
    path = "/" + route
    if "<slug:slug>" in route and route.startswith(("curation/", "api/v1/datasets/")):
        draft = _fresh_draft(world)
        path = path.replace("<slug:slug>", draft["dataset"].slug)
        if "<int:item_id>" in route:
            path = path.replace("<int:item_id>", str(draft["item"].pk))
        pk = draft["scan"].pk if "pii-scans" in route else draft["flag"].pk
        return path.replace("<int:pk>", str(pk))
    if "<slug:slug>" in route:
        return path.replace("<slug:slug>", world["benchmark"].slug)
    if "<int:pk>" in route:  # a deny-list term, fresh for each request
        term = PiiTerm.objects.create(term=f"term-{next(_counter)}", added_by=world["users"]["curator"])
        return path.replace("<int:pk>", str(term.pk))
    return path
