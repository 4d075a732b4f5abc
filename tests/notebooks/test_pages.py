from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from accounts.models import Role
from notebooks.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    monkeypatch.setattr("notebooks.tasks.run_execute.apply_async", lambda args, **options: None)


def _client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_catalogue_and_notebook_pages_render_a_typed_form(catalogue):
    client = _client()

    listing = client.get("/notebooks/").content.decode()
    page = client.get("/notebooks/short/").content.decode()

    assert "Test short" in listing
    assert 'type="number"' in page and 'min="1"' in page and 'max="10"' in page
    assert '<option value="cuda">' in page


def test_launching_from_the_form_redirects_to_the_run_page(catalogue, make_user, sent):
    client = _client(make_user(Role.STUDENT))

    response = client.post("/notebooks/short/", {"queue": "cpu", "p_steps": "4", "p_device": "cpu"})

    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{run.pk}/"
    assert run.parameters == {"device": "cpu", "steps": 4}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "frame-src 'self'" in page["Content-Security-Policy"]
    assert '<progress class="progress"' in page.content.decode()


def test_bad_form_input_is_shown_on_the_field_and_nothing_is_queued(catalogue, make_user, sent):
    client = _client(make_user(Role.STUDENT))

    response = client.post("/notebooks/short/", {"queue": "cpu", "p_steps": "99", "p_device": "cpu"})

    assert response.status_code == 400
    assert "steps must be at most 10" in response.content.decode()
    assert Run.objects.count() == 0


def test_the_rendered_output_is_served_sandboxed_without_scripts(catalogue, make_user, sent):
    owner = make_user(Role.STUDENT)
    client = _client(owner)
    client.post("/notebooks/short/", {"queue": "cpu", "p_steps": "3", "p_device": "cpu"})
    run = Run.objects.get()
    run.output_html.save("x.html", ContentFile(b"<p>result</p>"))

    response = client.get(f"/runs/{run.pk}/output.html")

    policy = response["Content-Security-Policy"]
    assert response.status_code == 200
    sandbox = policy.split(";")[0].split()
    assert sandbox[0] == "sandbox" and set(sandbox[1:]) == {"allow-popups", "allow-popups-to-escape-sandbox"}
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "img-src data:" in policy and "style-src 'unsafe-inline'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert _client(make_user(Role.STUDENT)).get(f"/runs/{run.pk}/output.html").status_code == 404
    assert _client().get(f"/runs/{run.pk}/output.html").status_code == 302


def test_runs_of_others_are_404_pages(catalogue, make_user, sent):
    _client(make_user(Role.STUDENT)).post("/notebooks/short/", {"queue": "cpu", "p_steps": "3", "p_device": "cpu"})
    run = Run.objects.get()

    assert _client(make_user(Role.STUDENT)).get(f"/runs/{run.pk}/").status_code == 404


def test_compare_shows_parameter_and_metric_differences(catalogue, make_user, sent):
    owner = make_user(Role.STUDENT)
    client = _client(owner)
    for steps in ("2", "5"):
        client.post("/notebooks/short/", {"queue": "cpu", "p_steps": steps, "p_device": "cpu"})
    first, second = Run.objects.order_by("pk")
    Run.objects.filter(pk=first.pk).update(metrics={"dice": 0.5})
    Run.objects.filter(pk=second.pk).update(metrics={"dice": 0.75})

    page = client.get(f"/runs/compare/?a={first.pk}&b={second.pk}").content.decode()

    assert "steps" in page and "dice" in page and "0.25" in page


def test_fleet_page_lists_runners(make_user):
    from django.utils import timezone

    from notebooks.models import Runner

    Runner.objects.create(
        hostname="runner-gpu@box",
        host="box",
        queues=["notebooks-gpu"],
        gpu_name="NVIDIA H100",
        started_at=timezone.now(),
        last_heartbeat=timezone.now(),
    )

    page = _client(make_user(Role.TOOLCHAIN_MAINTAINER)).get("/runners/").content.decode()

    assert "runner-gpu@box" in page and "NVIDIA H100" in page and "online" in page
