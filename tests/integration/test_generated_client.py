"""A client generated from the live schema by openapi-python-client works as generated.

The client is generated into a temp dir from `/api/schema/` (fetched in Chinese, to show the schema does not
change with the language), every module of it is imported, and two journeys run through it against a live
server with a real worker: a student (token, catalogue, a run with parameters, polling, metrics) and a steward
(open a quarter, compute, freeze, the manifest, and the 409 on computing a frozen quarter).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from accounts.models import Role
from tests.governance.factories import certify, register
from tests.integration.test_runs_through_a_worker import _worker_env
from tests.integration.test_runs_through_a_worker import broker as broker  # a fixture
from tests.integration.workers import celery_worker, worker_log

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # tests/accounts/factories.py
PACKAGE = "go3s_client"


def _generate(schema_url: str, folder: Path) -> ModuleType:
    request = urllib.request.Request(schema_url, headers={"Accept-Language": "zh-hans", "Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — the live test server
        schema = json.loads(response.read())
    (folder / "schema.json").write_text(json.dumps(schema))
    venv_bin = Path(sys.executable).parent
    command = ["generate", "--path", str(folder / "schema.json"), "--meta", "none", "--output-path", str(folder / PACKAGE)]
    generated = subprocess.run(
        [str(venv_bin / "openapi-python-client"), *command],
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},  # its ruff post-hooks
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # no operation left out or half-generated
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


@pytest.fixture
def client_package(live_server, tmp_path):
    package = _generate(f"{live_server.url}/api/schema/?format=json", tmp_path)
    yield package
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _token(base_url: str, username: str) -> str:
    client = _module("client").Client(base_url=base_url, raise_on_unexpected_status=True)
    body = _module("models").TokenObtainInputRequest(username=username, password=PASSWORD)
    answer = _module("api.accounts.v1_auth_token_create").sync(client=client, body=body)
    assert isinstance(answer, _module("models").TokenObtainOutput), answer
    return str(answer.token)


def _signed_in(base_url: str, username: str) -> Any:
    # As generated: AuthenticatedClient's default `Bearer` prefix, which the schema's bearer scheme declares.
    return _module("client").AuthenticatedClient(
        base_url=base_url, token=_token(base_url, username), raise_on_unexpected_status=True
    )


def test_every_generated_module_imports(client_package):
    modules = [info.name for info in pkgutil.walk_packages(client_package.__path__, f"{PACKAGE}.")]
    for name in modules:
        importlib.import_module(name)  # a NameError or SyntaxError in any one fails here
    operations = [name for name in modules if ".api." in name and name.count(".") == 3]
    assert len(operations) >= 70, len(operations)


def test_a_student_runs_a_notebook_with_parameters_through_the_generated_client(
    client_package, live_server, catalogue, broker, tmp_path, make_user
):
    models = _module("models")
    student = make_user(Role.STUDENT)
    client = _signed_in(live_server.url, student.username)

    notebooks = _module("api.notebooks.v1_notebooks_list").sync(client=client)
    assert isinstance(notebooks, models.PaginatedNotebookList)
    assert notebooks.count == len(notebooks.results) and "short" in {notebook.slug for notebook in notebooks.results}
    detail = _module("api.notebooks.v1_notebooks_retrieve").sync(client=client, slug="short")
    assert "steps" in {parameter.name for parameter in detail.parameters}

    parameters = models.RunListInputRequestParameters.from_dict({"steps": 4})
    body = models.RunListInputRequest(notebook="short", parameters=parameters)
    with celery_worker(broker_url=broker, data_dir=tmp_path, queues="notebooks-cpu", extra_env=_worker_env(catalogue)):
        run = _module("api.runs.v1_runs_create").sync(client=client, body=body)
        assert isinstance(run, models.Run), run
        deadline = time.monotonic() + 90
        while run.status.value in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.3)
            run = _module("api.runs.v1_runs_retrieve").sync(client=client, id=run.id)
    assert run.status == models.RunStatusEnum.SUCCEEDED, (run.status, run.error, worker_log(tmp_path)[-3000:])
    assert run.parameters.to_dict()["steps"] == 4
    assert run.metrics.to_dict(), "the run's metrics arrive through the client"
    assert run.cells_done == run.cells_total

    mine = _module("api.runs.v1_runs_list").sync(client=client)
    assert isinstance(mine, models.PaginatedRunList) and [item.id for item in mine.results] == [run.id]


def test_a_steward_opens_computes_and_freezes_a_quarter_through_the_generated_client(
    client_package, live_server, make_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    models = _module("models")
    certify(register(make_user(Role.CURATOR), "tiny-net").current_version)
    client = _signed_in(live_server.url, make_user(Role.STEWARD).username)
    quarters = "api.sponsorship.v1_sponsorship_quarters_"

    body = models.QuarterListInputRequest(label="2026Q4", pool_minor_units=1_000_000, currency="CNY")
    opened = _module(f"{quarters}create").sync(client=client, body=body)
    assert isinstance(opened, models.Quarter) and opened.status == models.QuarterStatusEnum.OPEN
    computed = _module(f"{quarters}compute_create").sync(client=client, label="2026Q4")
    assert computed.eligible_count == 1
    frozen = _module(f"{quarters}freeze_create").sync(client=client, label="2026Q4")
    assert frozen.status == models.QuarterStatusEnum.FROZEN and frozen.manifest_sha256

    manifest = _module(f"{quarters}manifest_json_retrieve").sync(client=client, label="2026Q4")
    assert isinstance(manifest, models.Manifest), manifest
    assert manifest.allocations.to_dict() == {"tiny-net": 30_000}
    assert manifest.pool_minor_units == 1_000_000 and manifest.unallocated_minor_units == 970_000

    client.raise_on_unexpected_status = False
    refused = _module(f"{quarters}compute_create").sync_detailed(client=client, label="2026Q4")
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Error) and refused.parsed.error.code == models.ErrorCodeEnum.QUARTER_FROZEN
    listed = _module(f"{quarters}list").sync(client=client)
    assert listed.count == 1 and listed.results[0].label == "2026Q4"
