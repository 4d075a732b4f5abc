"""Curation and toolchain left governance as apps of their own: a database that holds their rows in the old
layout (governance's models, before the move) keeps every row, read through the new apps' models.

The database is migrated back to the last governance migration before the move (the new apps at zero), rows
are written with the historical models of that state, then the database is migrated forward again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.audit import audit_log_record
from accounts.models import AuditLogEntry, Role
from curation.models import Annotation, Dataset, DatasetItem, PiiFlag, PiiScan, PiiTerm, Ruling
from notebooks.models import Run
from toolchain.models import Benchmark, BenchmarkResult, BenchmarkRun

BEFORE_THE_MOVE = [("governance", "0006_owner_reminders"), ("curation", None), ("toolchain", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader: it reads what is applied now


def _old_layout_rows(old, *, curator_id: int, maintainer_id: int, notebook, run_ids: list[int]) -> dict[str, int]:
    """One row of every moved model, written the way governance wrote them before the move."""
    now = timezone.now()
    dataset = old.get_model("governance", "Dataset").objects.create(
        slug="old-layout", version=1, owner_id=curator_id, licence="CC-BY-4.0", state="released", labels=["spam"]
    )
    item = old.get_model("governance", "DatasetItem").objects.create(dataset=dataset, key="i1", text="call 555-0100")
    old.get_model("governance", "Annotation").objects.create(item=item, annotator="ann-1", label="spam")
    old.get_model("governance", "Ruling").objects.create(item=item, label="spam", reason="clear", curator_id=curator_id)
    scan = old.get_model("governance", "PiiScan").objects.create(
        dataset=dataset, started_by_id=curator_id, items_total=1, items_done=1, flags_found=1
    )
    old.get_model("governance", "PiiFlag").objects.create(
        dataset=dataset, item=item, scan=scan, kind="phone", start=5, end=13, text="555-0100"
    )
    old.get_model("governance", "PiiTerm").objects.create(term="Ada Lovelace", added_by_id=maintainer_id)
    benchmark = old.get_model("governance", "Benchmark").objects.create(
        slug="old-bench", title="Old", notebook_id=notebook.pk, parameters={"steps": 3}, metric_key="loss",
        higher_is_better=False, regression_threshold_percent=10, created_by_id=maintainer_id,
    )  # fmt: skip
    old.get_model("governance", "BenchmarkRun").objects.create(
        benchmark=benchmark, run_id=run_ids[0], started_by_id=maintainer_id
    )
    old.get_model("governance", "BenchmarkResult").objects.create(
        benchmark=benchmark, run_id=run_ids[1], runner_class="cpu/2", value=0.5, recorded_at=now - timedelta(days=1)
    )
    return {"dataset": dataset.pk, "item": item.pk, "benchmark": benchmark.pk}


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_through_the_new_apps(make_user, nb):
    curator, maintainer = make_user(Role.CURATOR), make_user(Role.TOOLCHAIN_MAINTAINER)
    notebook = nb("short")
    runs = [
        Run.objects.create(notebook=notebook, version=notebook.current_version, owner=maintainer, parameters={},
                           timeout_seconds=60, memory_limit_mb=512, status=Run.Status.SUCCEEDED)
        for _ in range(2)
    ]  # fmt: skip

    executor = _migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state([BEFORE_THE_MOVE[0]]).apps
    ids = _old_layout_rows(
        old, curator_id=curator.pk, maintainer_id=maintainer.pk, notebook=notebook, run_ids=[r.pk for r in runs]
    )
    executor.migrate(executor.loader.graph.leaf_nodes())

    dataset = Dataset.objects.get(pk=ids["dataset"])
    assert (dataset.slug, dataset.owner, dataset.state, dataset.labels) == ("old-layout", curator, "released", ["spam"])
    item = DatasetItem.objects.get(pk=ids["item"], dataset=dataset)
    assert [a.label for a in Annotation.objects.filter(item=item)] == ["spam"]
    assert Ruling.objects.get(item=item).curator == curator
    flag = PiiFlag.objects.select_related("scan").get(item=item)
    assert (flag.kind, flag.scan.dataset, flag.scan.items_done) == (PiiFlag.Kind.PHONE, dataset, 1)
    assert PiiScan.objects.get(dataset=dataset).flags.get() == flag
    assert PiiTerm.objects.get().added_by == maintainer
    benchmark = Benchmark.objects.get(pk=ids["benchmark"])
    assert (benchmark.notebook, benchmark.created_by, benchmark.parameters) == (notebook, maintainer, {"steps": 3})
    assert BenchmarkRun.objects.get(benchmark=benchmark).run == runs[0]
    assert BenchmarkResult.objects.get(benchmark=benchmark).run == runs[1]
    # The reverse relations from the apps that stayed (users, runs) reach the moved rows too.
    assert list(curator.datasets.all()) == [dataset]
    assert runs[0].benchmark_link.benchmark == benchmark
    # A change logged now lands in the same audit history as the entries written before the move.
    audit_log_record(actor=curator, action="dataset.test", obj=dataset)
    assert AuditLogEntry.objects.get(action="dataset.test").object_type == "governance.dataset"
