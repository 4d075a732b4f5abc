"""The kernel's sandbox (notebooks/engine/sandbox.py): a notebook that tries to read the runner's
environment, the database file, the portal's settings and another run's scratch, or to reach the network,
fails at each inside the kernel, while the run itself ends normally and reports what it found. The
partner: the same notebook reads the catalogue's data and writes its own scratch.

Skipped where bubblewrap cannot run (bin/test installs it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import Role
from notebooks.engine import sandbox as sandbox_module
from notebooks.engine.executor import execute_run
from notebooks.engine.kernels import close_pool
from notebooks.engine.sandbox import SandboxRefused, runner_sandbox
from notebooks.models import Run
from notebooks.services import catalogue_sync
from tests.notebooks import builders

pytestmark = [pytest.mark.notebooks, pytest.mark.django_db(transaction=True)]

PORTAL = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, socket, pathlib

def attempt(action):
    try:
        return "allowed: " + str(action())[:80]
    except Exception as error:
        return "refused: " + type(error).__name__

targets = json.loads(TARGETS)
found = {}
found["runner_environ"] = attempt(lambda: open(f"/proc/{targets['runner_pid']}/environ", "rb").read())
found["parent_environ_has_secret"] = any(
    b"SECRET_KEY" in pathlib.Path(f"/proc/{pid}/environ").read_bytes()
    for pid in os.listdir("/proc") if pid.isdigit() and os.access(f"/proc/{pid}/environ", os.R_OK)
)
found["visible_pids"] = sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit())
found["database"] = attempt(lambda: open(targets["database"], "rb").read(16))
found["settings"] = attempt(lambda: open(targets["settings"]).read())
found["other_run"] = attempt(lambda: open(targets["other_run"]).read())
found["write_catalogue"] = attempt(lambda: open(targets["catalogue_file"], "w").write("x"))
def connect(address):
    with socket.create_connection(address, timeout=3):
        return "connected"
found["loopback_of_runner"] = attempt(lambda: connect(("127.0.0.1", targets["port"])))
found["internet"] = attempt(lambda: connect(("1.1.1.1", 80)))
found["uid"] = os.getuid()
found["catalogue_data"] = sum(json.load(open("../data/numbers.json")))
pathlib.Path("output").mkdir(exist_ok=True)
pathlib.Path("output/mine.txt").write_text("written in my scratch")
found["own_scratch"] = pathlib.Path("output/mine.txt").read_text()
"""


@pytest.fixture
def working_sandbox(settings):
    settings.NOTEBOOK_SANDBOX = True
    try:
        sandbox = runner_sandbox()
    except SandboxRefused as error:
        pytest.skip(str(error))
    if sandbox is None:
        pytest.skip("bubblewrap cannot sandbox kernels on this machine")
    return sandbox


def _probe_run(tmp_path, settings, make_user, targets: dict) -> Run:
    import json

    code = f"TARGETS = {json.dumps(json.dumps(targets))}\n{PROBE}"
    probe = builders.notebook(
        "probe",
        [code],
        metrics="from IPython.display import JSON, display\ndisplay(JSON(found))",
    )
    root = builders.write_catalogue(tmp_path / "catalogue", [probe])
    settings.NOTEBOOK_CATALOGUE_DIR = root
    settings.NOTEBOOK_SCRATCH_DIR = tmp_path / "scratch"
    settings.MEDIA_ROOT = tmp_path / "media"
    catalogue_sync(actor=None, root=root)
    from notebooks.models import Notebook

    notebook = Notebook.objects.get(slug="probe")
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=make_user(Role.STUDENT),
        parameters={"steps": 3, "device": "auto"}, timeout_seconds=120, memory_limit_mb=2048,
    )  # fmt: skip
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    return run


def test_a_notebook_cannot_reach_the_runners_secrets_files_other_runs_or_the_network(
    working_sandbox, tmp_path, settings, make_user, monkeypatch
):
    # given a runner whose environment holds secrets, a database file, another run's scratch and a local service
    monkeypatch.setenv("SECRET_KEY", "runner-secret-value")
    close_pool()  # kernels started after the secret exists
    database = tmp_path / "var" / "portal.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"SQLite format 3\x00 tokens and password hashes")
    other = tmp_path / "scratch" / "run-999-1" / "course"
    other.mkdir(parents=True)
    (other / "answers.txt").write_text("another student's work")
    listener = socket.create_server(("127.0.0.1", 0))
    targets = {
        "runner_pid": os.getpid(),
        "database": str(database),
        "settings": str(PORTAL / "portal" / "settings.py"),
        "other_run": str(other / "answers.txt"),
        "catalogue_file": str(tmp_path / "catalogue" / "data" / "numbers.json"),
        "port": listener.getsockname()[1],
    }

    # when the probe notebook runs
    try:
        run = _probe_run(tmp_path, settings, make_user, targets)
    finally:
        listener.close()

    # then the run ends normally and reports that every attempt failed inside the kernel
    assert run.status == Run.Status.SUCCEEDED, run.error
    found = run.metrics
    for name in ("runner_environ", "database", "settings", "other_run", "write_catalogue", "loopback_of_runner", "internet"):
        assert found[name].startswith("refused"), (name, found[name])
    assert found["parent_environ_has_secret"] is False
    assert os.getpid() not in found["visible_pids"] and max(found["visible_pids"]) < 10  # its own PID namespace
    if os.geteuid() == 0:
        assert found["uid"] == django_settings.NOTEBOOK_SANDBOX_UID  # root runners drop to an unprivileged uid
    # and the good thing arrives: the catalogue's data is readable, the run's own scratch writable
    assert found["catalogue_data"] == 6
    assert found["own_scratch"] == "written in my scratch"
    assert (other / "answers.txt").read_text() == "another student's work"


def test_without_a_sandbox_the_runner_refuses_outside_debug_and_says_why(settings, monkeypatch):
    monkeypatch.setattr(sandbox_module, "_probe", lambda uid: (None, "bubblewrap (bwrap) is not installed"))
    settings.DEBUG = False
    settings.NOTEBOOK_ALLOW_UNSANDBOXED = False

    with pytest.raises(SandboxRefused, match=r"without a sandbox outside DEBUG: bubblewrap .* NOTEBOOK_ALLOW_UNSANDBOXED"):
        runner_sandbox()

    settings.NOTEBOOK_ALLOW_UNSANDBOXED = True  # told so explicitly
    assert runner_sandbox() is None
    settings.NOTEBOOK_ALLOW_UNSANDBOXED = False
    settings.DEBUG = True
    assert runner_sandbox() is None


def test_a_refused_runner_fails_the_run_with_the_reason(nb, make_user, settings, monkeypatch):
    monkeypatch.setattr(sandbox_module, "_probe", lambda uid: (None, "bubblewrap (bwrap) is not installed"))
    settings.NOTEBOOK_ALLOW_UNSANDBOXED = False
    settings.DEBUG = False  # the refusal is the production rule (DEBUG allows an unsandboxed kernel)
    close_pool()
    notebook = nb("short")
    run = Run.objects.create(
        notebook=notebook, version=notebook.current_version, owner=make_user(Role.STUDENT),
        parameters={"steps": 3, "device": "auto"}, timeout_seconds=60, memory_limit_mb=1024,
    )  # fmt: skip

    try:
        execute_run(run.pk, run.attempt)
    finally:
        close_pool()
    run.refresh_from_db()

    assert run.status == Run.Status.FAILED
    assert "without a sandbox" in run.error and "bubblewrap" in run.error


def test_a_gpu_runner_passes_its_nvidia_devices_into_the_sandbox_and_nothing_else_of_dev(monkeypatch, tmp_path):
    from notebooks.engine import sandbox

    monkeypatch.setattr(sandbox, "gpu_devices", lambda: ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"])
    box = sandbox.Sandbox(bwrap="/usr/bin/bwrap", setpriv=None, uid=65534)

    command = box.command(["python"], home=str(tmp_path), scratch=str(tmp_path), readonly=[])

    binds = [command[i + 1] for i, arg in enumerate(command) if arg == "--dev-bind-try"]
    assert binds == ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"]
    assert command[command.index("--dev") + 1] == "/dev"  # a minimal /dev first, the devices bound into it
    assert command.index("--dev") < command.index("--dev-bind-try")
