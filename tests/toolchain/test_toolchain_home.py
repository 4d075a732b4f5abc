"""The toolchain home: its tables drawn in the view show what the template loops showed, escaped; the blank
registration form (drawn once per language and catalogue) follows the catalogue at once; only maintainers get it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone

from accounts.models import Role
from notebooks.models import Notebook
from toolchain.models import Benchmark
from toolchain.selectors import benchmark_list, regression_list
from toolchain.services import benchmark_result_record

pytestmark = pytest.mark.django_db

# The rows as governance/toolchain/home.html drew them in template loops, before the view drew them.
_TEMPLATE_BENCHMARK_ROWS = """{% for benchmark in benchmarks %}
    <tr><td><a href="{% url 'governance:benchmark' benchmark.slug %}">{{ benchmark.title }}</a></td><td>{{ benchmark.notebook.slug }}</td>
      <td><code>{{ benchmark.metric_key }}</code> {% if benchmark.higher_is_better %}↑{% else %}↓{% endif %}</td>
      <td class="num">{{ benchmark.regression_threshold_percent|floatformat:"-1" }} %</td><td class="num">{{ benchmark.result_count }}</td>
      <td class="num">{% if benchmark.regression_count %}<span class="badge bad">{{ benchmark.regression_count }}</span>{% else %}0{% endif %}</td></tr>
  {% endfor %}"""
_TEMPLATE_REGRESSION_ROWS = """{% for result in regressions %}
    <tr class="regression"><td><a href="{% url 'governance:benchmark' result.benchmark.slug %}">{{ result.benchmark.slug }}</a></td><td>{{ result.runner_class }}</td>
      <td class="num">{{ result.value|floatformat:"-4" }}</td><td class="num">{{ result.baseline_median|floatformat:"-4" }}</td>
      <td class="num">{{ result.change_percent|floatformat:1 }} %</td><td>{{ result.recorded_at|date:"Y-m-d H:i" }}</td></tr>
  {% endfor %}"""


@pytest.fixture
def maintainer(make_user):
    return make_user(Role.TOOLCHAIN_MAINTAINER)


def _register(api, maintainer, slug, **fields):
    body = {"slug": slug, "notebook": "short", "parameters": {"steps": 3}, "metric_key": "loss", **fields}
    response = api(maintainer).post("/api/v1/benchmarks/", body, format="json")
    assert response.status_code == 201, response.content


def test_the_tables_show_what_the_template_showed_escaped(api, maintainer, catalogue, client):
    # Given two benchmarks, one with a hostile title and five results of which the last is a regression,
    _register(api, maintainer, "short-loss", title="<script>alert(1)</script>", higher_is_better=False)
    _register(api, maintainer, "short-acc", title="Accuracy & more", regression_threshold_percent=12.5)
    benchmark = Benchmark.objects.get(slug="short-loss")
    now = timezone.now()
    common = {"metrics": {}, "runner_host": "h", "memory_mb": 1, "toolchain": {}, "queue": "cpu", "cpus": 8, "gpu_name": ""}
    for day, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.523456]):
        benchmark_result_record(benchmark=benchmark, value=loss, recorded_at=now - timedelta(days=5 - day), **common)

    # when anyone signed in opens the toolchain home,
    client.force_login(maintainer)
    page = client.get("/toolchain/").content.decode()

    # then the hostile title is escaped, the regression counted and listed,
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="badge bad">1</span>' in page and page.count('<tr class="regression">') == 1
    # and both tables are exactly what the template loops drew.
    template = engines["django"].from_string
    assert template(_TEMPLATE_BENCHMARK_ROWS).render({"benchmarks": benchmark_list()}) in page
    assert template(_TEMPLATE_REGRESSION_ROWS).render({"regressions": regression_list()[:50]}) in page


def test_the_blank_form_follows_the_catalogue_and_only_maintainers_get_it(maintainer, catalogue, client, make_user):
    client.force_login(maintainer)
    options = re.compile(r'<option value="([^"]*)"')

    before = options.findall(client.get("/toolchain/").content.decode())
    Notebook.objects.filter(slug="short").update(is_active=False)
    after = options.findall(client.get("/toolchain/").content.decode())
    client.force_login(make_user(Role.STUDENT))
    student = client.get("/toolchain/").content.decode()

    assert "short" in before and "short" not in after and set(after) == set(before) - {"short"}
    assert "data-benchmark-form" not in student and 'name="metric_key"' not in student


def test_a_form_sent_back_with_errors_shows_them_and_what_was_typed(maintainer, catalogue, client):
    client.force_login(maintainer)

    response = client.post("/toolchain/benchmarks/new/", {"slug": "bad slug!", "notebook": "short", "metric_key": "typed-metric"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="typed-metric"' in html and "errorlist" in html and not Benchmark.objects.exists()
