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

    assert "steps" in page and "dice" in page and "0.75" in page


def _three_runs_with_declared_metrics(client):
    from notebooks.models import NotebookVersion

    for steps in ("2", "5", "7"):
        client.post("/notebooks/short/", {"queue": "cpu", "p_steps": steps, "p_device": "cpu"})
    runs = list(Run.objects.order_by("pk"))
    declared = {
        "dice": {"label": {"en": "Dice score", "zh-hans": "Dice 系数"}, "digits": 3, "higher_is_better": True},
        "loss": {"label": {"en": "Validation loss", "zh-hans": "验证损失"}, "digits": 2, "higher_is_better": False},
        "seconds": {"label": {"en": "Training time", "zh-hans": "训练时间"}, "unit": "s", "digits": 1},
    }
    version = runs[0].version
    NotebookVersion.objects.filter(pk=version.pk).update(metadata={**version.metadata, "metrics": declared})
    for run, (dice, loss) in zip(runs, [(0.5, 0.9), (0.75, 1.25), (0.5, 0.4)], strict=True):
        Run.objects.filter(pk=run.pk).update(metrics={"dice": dice, "loss": loss, "seconds": 12.345, "note": "x"})
    return runs


def test_compare_puts_runs_side_by_side_with_labels_and_better_or_worse(catalogue, make_user, sent):
    from bs4 import BeautifulSoup

    client = _client(make_user(Role.STUDENT))
    runs = _three_runs_with_declared_metrics(client)

    response = client.get("/runs/compare/?" + "&".join(f"run={run.pk}" for run in runs))

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    table = soup.select_one("table[data-compare]")
    assert len(table.select("thead th")) == 1 + 3
    rows = {
        row.th.get_text(" ", strip=True): [td.get_text(" ", strip=True) for td in row.find_all("td")]
        for row in table.select("tbody tr:not(.section)")
    }
    assert rows["Dice score"] == ["0.500", "0.750 ▲", "0.500 ="]
    assert rows["Validation loss"] == ["0.90", "1.25 ▼", "0.40 ▲"]
    assert rows["Training time (s)"] == ["12.3", "12.3", "12.3"]  # no direction declared: no mark
    assert rows["note"] == ["x", "x", "x"]
    assert rows["steps"] == ["2", "5", "7"]
    assert [td["class"] for td in table.select("tbody tr td.better")] == [["num", "better"]] * 2


def test_compare_in_chinese_uses_the_chinese_labels(catalogue, make_user, sent):
    client = _client(make_user(Role.STUDENT))
    runs = _three_runs_with_declared_metrics(client)

    page = client.get("/runs/compare/?" + "&".join(f"run={run.pk}" for run in runs), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "验证损失" in page.content.decode() and "Validation loss" not in page.content.decode()


@pytest.mark.parametrize("query", ["", "?run=", "?a=&b=", "?run=abc&run=2"])
def test_compare_without_a_choice_is_a_form_error_on_the_runs_page(catalogue, make_user, sent, query):
    client = _client(make_user(Role.STUDENT))
    client.post("/notebooks/short/", {"queue": "cpu", "p_steps": "2", "p_device": "cpu"})

    response = client.get(f"/runs/compare/{query}")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose at least two runs to compare." in page
    assert 'type="checkbox" name="run"' in page  # the runs to choose from are on the same page


def test_compare_with_one_run_keeps_it_ticked_and_seven_is_too_many(catalogue, make_user, sent):
    client = _client(make_user(Role.STUDENT))
    client.post("/notebooks/short/", {"queue": "cpu", "p_steps": "2", "p_device": "cpu"})
    run = Run.objects.get()

    one = client.get(f"/runs/compare/?run={run.pk}").content.decode()
    seven = client.get("/runs/compare/?" + "&".join(f"run={pk}" for pk in range(1, 8)))

    assert f'value="{run.pk}" id="compare-{run.pk}" checked' in one
    assert seven.status_code == 400 and "Choose at most 6 runs to compare." in seven.content.decode()


def test_compare_with_a_run_of_someone_else_is_not_found(catalogue, make_user, sent):
    mine = _client(make_user(Role.STUDENT))
    mine.post("/notebooks/short/", {"queue": "cpu", "p_steps": "2", "p_device": "cpu"})
    _client(make_user(Role.STUDENT)).post("/notebooks/short/", {"queue": "cpu", "p_steps": "3", "p_device": "cpu"})
    own, foreign = Run.objects.order_by("pk")

    assert mine.get(f"/runs/compare/?run={own.pk}&run={foreign.pk}").status_code == 404


def test_the_run_page_labels_metrics_and_shows_where_the_time_went(catalogue, make_user, sent):
    from datetime import timedelta

    from bs4 import BeautifulSoup

    client = _client(make_user(Role.STUDENT))
    run = _three_runs_with_declared_metrics(client)[0]
    created = Run.objects.get(pk=run.pk).created_at
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.SUCCEEDED,
        started_at=created + timedelta(seconds=2),
        kernel_ready_at=created + timedelta(seconds=2.5),
        executed_at=created + timedelta(seconds=6.5),
        finished_at=created + timedelta(seconds=6.55),
        cell_seconds=[
            {"cell": 1, "index": 1, "seconds": 0.5, "source": "import torch"},
            {"cell": 2, "index": 2, "seconds": 3.25, "source": "for epoch in range(epochs):"},
        ],
    )

    soup = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    metrics = {row.th.text: row.find("td").text for row in soup.select("table[data-metrics] tbody tr")}
    assert metrics == {"Dice score": "0.500", "Validation loss": "0.90", "Training time": "12.3", "note": "x"}
    phases = {row["data-phase"]: row.find("td").text for row in soup.select("table[data-phases] tbody tr")}
    assert phases == {"queued": "2.000", "kernel": "0.500", "executing": "4.000", "storing": "0.050"}
    slowest = soup.select("details[data-cell-timings] tbody tr")
    assert slowest[0].find("code").text == "for epoch in range(epochs):"
    assert float(slowest[0].find("meter")["value"]) == 3.25 and float(slowest[0].find("meter")["max"]) == 3.75


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
