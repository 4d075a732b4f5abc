"""The whole lab, for real: JupyterHub and its proxy on localhost, a student signed in through the portal
(OAuth 2), their JupyterLab spawned in the sandbox, the assignment opened from the portal, a cell executed
through the Jupyter server's API, the edited notebook submitted and run by the run engine, the server
stopped; and another student refused at the first student's server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command

from courses.models import Submission
from labs.hub_client import HubClient
from labs.services import assignment_lab_path
from notebooks.engine.executor import execute_run
from notebooks.models import Run
from tests.courses import factories
from tests.labs.hub_server import start_hub
from tests.labs.jupyter_api import execute
from tests.object_storage import _free_port

pytestmark = [pytest.mark.hub, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PASSWORD = "lab-password-123"


def signed_in(portal: str, username: str) -> requests.Session:
    """A browser-like session signed in to the portal with the login form."""
    session = requests.Session()
    session.get(f"{portal}/accounts/login/", timeout=30)
    answer = session.post(
        f"{portal}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{portal}/accounts/login/"},
        timeout=30,
    )
    assert answer.url.rstrip("/").endswith("/me"), answer.url
    return session


def portal_post(session: requests.Session, portal: str, path: str) -> requests.Response:
    return session.post(
        portal + path,
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": portal + path},
        timeout=120,
    )


@pytest.fixture
def hub(live_server: Any, catalogue: Path, tmp_path: Path, settings: Any) -> Any:
    hub_url = f"http://127.0.0.1:{_free_port()}"
    env_file = tmp_path / "hub.env"
    call_command("hub_setup", hub_url=hub_url, env_file=str(env_file))
    workdir = tmp_path / "hub"
    workdir.mkdir()
    servers = start_hub(portal_url=live_server.url, env_file=env_file, catalogue=catalogue, workdir=workdir)
    running = next(servers)
    settings.HUB_URL, settings.HUB_API_TOKEN = running.url, running.api_token
    yield running
    servers.close()


def test_a_student_opens_the_assignment_in_jupyterlab_edits_it_submits_it_and_it_runs(
    hub: Any, live_server: Any, make_user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)  # executed below
    course = factories.course(make_user)
    assignment = factories.assignment(course)
    student, other = (factories.student_in(course, make_user) for _ in range(2))
    for person in (student, other):
        person.set_password(PASSWORD)
        person.save()
    portal = live_server.url

    # Given the student signed in to the portal, signing in to the Hub is one OAuth round trip, no form.
    browser = signed_in(portal, student.username)
    landed = browser.get(f"{hub.url}/hub/oauth_login", timeout=60)
    assert landed.status_code == 200 and landed.url.startswith(hub.url), landed.url
    assert any("/o/authorize/" in step.url for step in landed.history)
    user = requests.get(
        f"{hub.url}/hub/api/users/{student.username}", headers={"Authorization": f"token {hub.api_token}"}, timeout=10
    ).json()
    assert user["groups"] == ["student"] and user["admin"] is False

    # When they press "Open in JupyterLab" on the assignment, their lab starts with the pinned notebook in it.
    opening = portal_post(browser, portal, f"/labs/assignments/{assignment.pk}/open/")
    path = assignment_lab_path(assignment)
    lab_url = re.search(r'href="([^"]+)" data-lab-url', opening.text).group(1).replace("&amp;", "&")
    assert lab_url == f"{hub.url}/user/{student.username}/lab/tree/{path}"
    opened = browser.get(lab_url, timeout=60)  # through the Hub's own OAuth to the server: the lab's page
    assert opened.status_code == 200 and opened.url == lab_url and "JupyterLab" in opened.text, opened.url
    client = HubClient(hub.url, hub.api_token)
    copied = client.get_notebook(student.username, path)
    assert copied is not None and copied["metadata"]["go3s"]["assignment"] == assignment.pk
    assert [lab.username for lab in client.servers().values()] == [student.username]

    # A cell runs in the lab's kernel, in the sandbox: the portal's files and other homes are not there.
    server = f"{hub.url}/user/{student.username}"
    probe = (
        "import os, json\n"
        f"paths = {json.dumps([str(Path(__file__).resolve().parents[2] / 'portal' / 'settings.py'), str(hub.log)])}\n"
        "print(json.dumps({'seen': [p for p in paths if os.path.exists(p)], 'uid': os.getuid(), 'data': os.path.isdir('data'),"
        " 'sum': sum(range(10))}))"
    )
    result = json.loads(execute(server, hub.api_token, probe).strip().splitlines()[-1])
    assert result == {"seen": [], "uid": 65534, "data": True, "sum": 45}

    # The student edits the metrics cell (as JupyterLab saves it) and submits from the portal.
    edited = dict(copied)
    metrics = next(cell for cell in edited["cells"] if "metrics" in cell["metadata"].get("tags", []))
    metrics["source"] = "from IPython.display import JSON, display\ndisplay(JSON({'steps': steps, 'edited': 41 + 1}))"
    client.put_notebook(student.username, path, edited)
    submitted = portal_post(browser, portal, f"/labs/assignments/{assignment.pk}/submit/")
    match = re.search(r"/runs/(\d+)/$", submitted.url)
    assert submitted.status_code == 200 and match, submitted.url
    run = Run.objects.get(pk=int(match.group(1)))
    submission = Submission.objects.get(run=run)
    assert submission.student == student and run.version == assignment.version and "41 + 1" in run.input_source

    # Then the run engine executes the student's notebook, in its own sandbox, and it succeeds.
    execute_run(run.pk, run.attempt)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.metrics == {"steps": 3, "edited": 42}
    changes = browser.get(f"{portal}/labs/submissions/{submission.pk}/changes/", timeout=30)
    assert changes.status_code == 200 and "41 + 1" in changes.text and 'data-cell-change="changed"' in changes.text

    # Another student of the course, signed in to the Hub, is refused at the first student's server.
    intruder = signed_in(portal, other.username)
    intruder.get(f"{hub.url}/hub/oauth_login", timeout=60)
    refused = intruder.get(f"{server}/api/contents/{path}", timeout=60)
    assert refused.status_code == 403
    home = intruder.get(f"{hub.url}/hub/home", timeout=30)
    assert home.status_code == 200 and home.url == f"{hub.url}/hub/home" and other.username in home.text

    # Stopping the server leaves nobody running.
    stopped = requests.delete(
        f"{hub.url}/hub/api/users/{student.username}/server", headers={"Authorization": f"token {hub.api_token}"}, timeout=60
    )
    assert stopped.status_code in (202, 204)
    for _ in range(120):
        if not client.servers():
            break
        time.sleep(0.5)
    assert client.servers() == {}
