"""Run outputs, run inputs and evidence on an S3-protocol server (moto's standalone server, started once per
session by the `s3_server` fixture): written there by the runner, streamed by the portal under the same checks
and headers as from the file system; a storage that fails fails the run with the reason, and the runner goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from accounts.models import Role
from notebooks.contract import hooks_replaced
from notebooks.engine.executor import execute_run
from notebooks.models import Notebook, Run
from notebooks.services import catalogue_sync
from notebooks.views import OUTPUT_POLICY
from tests.governance.factories import counted, register
from tests.notebooks import builders

pytestmark = [pytest.mark.integration, pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def student(make_user):
    return make_user(Role.STUDENT)


def _run(notebook: Notebook, owner: Any, **parameters: Any) -> Run:
    run = Run.objects.create(
        notebook=notebook,
        version=notebook.current_version,
        owner=owner,
        parameters={"steps": 3, "device": "auto", **parameters},
        timeout_seconds=60,
        memory_limit_mb=2048,
    )
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    return run


def _keys(s3_server, bucket: str) -> set[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_a_run_stores_its_results_in_the_bucket_and_the_portal_streams_them_with_their_headers(
    s3_server, s3_bucket, nb, student, client, make_user, tmp_path
):
    run = _run(nb("short"), student, steps=5)

    assert run.status == Run.Status.SUCCEEDED, run.error
    assert _keys(s3_server, s3_bucket) == {run.output_notebook.name, run.output_html.name}
    assert not (tmp_path / "media").exists()  # nothing on the runner's disk
    client.force_login(student)
    html = client.get(f"/runs/{run.pk}/output.html")
    assert html.status_code == 200
    assert b"total 10" in b"".join(html.streaming_content)
    assert html["Content-Security-Policy"] == OUTPUT_POLICY
    assert html["Content-Type"] == "text/html; charset=utf-8"
    notebook = client.get(f"/runs/{run.pk}/output.ipynb")
    assert notebook.status_code == 200 and notebook["Content-Disposition"].startswith("attachment;")
    assert nbformat.reads(b"".join(notebook.streaming_content).decode(), as_version=4).metadata["portal_run"]["run"] == run.pk
    client.force_login(make_user(Role.STUDENT))  # someone else's run: as from the file system, not found
    assert client.get(f"/runs/{run.pk}/output.html").status_code == 404
    assert client.get(f"/runs/{run.pk}/output.ipynb").status_code == 404


def test_evidence_in_the_bucket_is_downloaded_through_the_portal_with_its_policy(s3_server, s3_bucket, make_user, client):
    model = register(make_user(Role.CURATOR), "stored")
    energy = counted(model.current_version, "energy", 0.02, evidence=b"codecarbon 0.02 g")

    assert energy.evidence_file.name in _keys(s3_server, s3_bucket)
    assert model.current_version.onnx_file.name in _keys(s3_server, s3_bucket)
    download = client.get(f"/health/evidence/{energy.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"codecarbon 0.02 g"
    assert download["Content-Security-Policy"].startswith("sandbox;")
    pending = counted(model.current_version, "robustness", 1, status="pending", evidence=b"x")
    assert client.get(f"/health/evidence/{pending.pk}/").status_code == 404


# --- run inputs: copied from the storage into the scratch directory, read-only to the kernel, removed after ---

READS_INPUT = builders.notebook(
    "reads-input",
    [
        "from pathlib import Path\ngreeting = Path('../inputs/greeting.txt').read_text()\nprint('read:', greeting)",
        "try:\n    open('../inputs/greeting.txt', 'a').write('changed')\n    print('writable')\n"
        "except OSError as error:\n    print('read-only:', type(error).__name__)",
    ],
)
INPUTS: dict[str, Any] = {}


def inputs_for(run: Run) -> dict[str, Any]:
    return dict(INPUTS)


@pytest.fixture
def reads_input(tmp_path: Path, settings) -> Iterator[Notebook]:
    root = builders.write_catalogue(tmp_path / "catalogue", [READS_INPUT])
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    assert not catalogue_sync(actor=None, root=root).invalid
    with hooks_replaced(run_inputs=[inputs_for]):
        yield Notebook.objects.get(slug="reads-input")


def test_a_run_reads_its_inputs_from_the_bucket_and_they_are_gone_after_the_run(s3_bucket, reads_input, student, settings):
    name = default_storage.save("inputs/greeting.txt", ContentFile(b"hello from the bucket"))
    INPUTS.clear()
    INPUTS.update({"inputs/greeting.txt": name, "inputs/generated.json": b"{}"})

    run = _run(reads_input, student)

    output = run.output_notebook.read().decode()
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert "read: hello from the bucket" in output
    assert "read-only: PermissionError" in output
    assert default_storage.open(name).read() == b"hello from the bucket"
    assert not list(Path(settings.NOTEBOOK_SCRATCH_DIR).glob(f"run-{run.pk}-*"))


def test_an_input_missing_from_the_storage_fails_the_run_with_the_reason(s3_bucket, reads_input, student):
    INPUTS.clear()
    INPUTS.update({"inputs/greeting.txt": "inputs/never-stored.txt"})

    run = _run(reads_input, student)

    assert run.status == Run.Status.FAILED
    assert run.error.startswith("the run's input inputs/greeting.txt could not be read from the storage")
    assert run.cells_done == 0 and run.kernel_ready_at is None  # nothing ran without its input


# --- a storage outage ---------------------------------------------------------------------------------------


class UnreachableStorage(FileSystemStorage):
    """A storage whose writes fail, as an S3 endpoint that went away does (after its retries)."""

    def _save(self, name: str, content: Any) -> str:
        if name.endswith(FAIL_SUFFIX[0]):
            raise ConnectionError("Could not connect to the endpoint URL")
        return super()._save(name, content)


FAIL_SUFFIX = [".ipynb"]


@pytest.mark.parametrize("failing", [".ipynb", ".html"])
def test_a_storage_outage_fails_the_run_with_the_reason_serves_nothing_and_the_runner_carries_on(
    nb, student, settings, tmp_path, client, failing
):
    FAIL_SUFFIX[0] = failing
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storage.test_object_storage.UnreachableStorage"},
    }

    run = _run(nb("short"), student)

    assert run.status == Run.Status.FAILED
    assert run.error == (
        "the results could not be written to the storage: ConnectionError: Could not connect to the endpoint URL"
    )
    assert not run.output_notebook and not run.output_html and run.metrics == {}
    assert not list((tmp_path / "media").rglob("*.*"))  # the notebook written before the HTML failed is removed
    client.force_login(student)
    assert client.get(f"/runs/{run.pk}/output.html").status_code == 404

    # The storage is back: the same runner (this process, its kernel pool) runs the next one.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    again = _run(nb("short"), student)
    assert again.status == Run.Status.SUCCEEDED, again.error
    assert b"total 3" in client.get(f"/runs/{again.pk}/output.html").getvalue()


def test_a_failed_run_whose_results_cannot_be_stored_keeps_its_own_reason_after_the_storage_one(nb, student, settings):
    FAIL_SUFFIX[0] = ".ipynb"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storage.test_object_storage.UnreachableStorage"},
    }

    run = _run(nb("fails"), student)

    assert run.status == Run.Status.FAILED
    assert run.error.startswith("the results could not be written to the storage: ConnectionError")
    assert run.error.endswith("; before that: ValueError: the data is wrong")
    assert not run.output_notebook


class UnreadableStorage(FileSystemStorage):
    def _open(self, name: str, mode: str = "rb") -> Any:
        raise ConnectionError("Could not connect to the endpoint URL")


def test_downloads_say_503_when_the_storage_cannot_be_reached_and_serve_again_when_it_is_back(
    nb, student, settings, client, make_user
):
    run = _run(nb("short"), student)
    energy = counted(register(make_user(Role.CURATOR), "unreachable").current_version, "energy", 0.02, evidence=b"g")
    working = settings.STORAGES
    settings.STORAGES = {**working, "default": {"BACKEND": "tests.storage.test_object_storage.UnreadableStorage"}}
    client.force_login(student)
    urls = [f"/runs/{run.pk}/output.html", f"/runs/{run.pk}/output.ipynb", f"/health/evidence/{energy.pk}/"]

    for url in urls:
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert (english.status_code, english["Retry-After"]) == (503, "30"), url
        assert english.content.decode().startswith("The file storage cannot be reached just now.")
        assert chinese.status_code == 503 and chinese.content.decode().startswith("文件存储暂时无法访问")

    settings.STORAGES = working
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
