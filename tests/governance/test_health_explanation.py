"""The public health page answers "why is this model (not) certified" (issue #15 item 8)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from governance.selectors.health_explanation import margin
from tests.governance.factories import certify, counted, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(make_user):
    return make_user(Role.CURATOR)


def _page(client, slug):
    response = client.get(f"/health/{slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_margins_point_in_the_passing_direction_and_strict_thresholds_fail_at_zero():
    assert margin("robustness", Decimal("4.2")) == Decimal("0.8")
    assert margin("robustness", Decimal(5)) == 0  # 5.0 % fails: a margin of 0 on a strict threshold
    assert margin("explainability", Decimal("81")) == Decimal(-1)
    assert margin("energy", Decimal("0.2")) == Decimal("-0.02")


def test_a_certified_model_says_until_when_and_which_dimension_is_closest(client, owner):
    model = register(owner, "good")
    counted(model.current_version, "energy", 0.05, measured_at=timezone.now() - timedelta(days=10))
    certify(model.current_version, robustness=4.5, explainability=95, energy=0.01)

    html = _page(client, "good")

    assert "Certified until" in html and "the closest to its threshold is robustness (margin 0.5)" in html
    assert 'data-why-dimension="energy"' in html and "community-reported, accepted by a second auditor" in html
    assert "energy efficiency · history" in html  # two counted energy values draw a chart
    assert '<svg class="chart fluid"' in html


def test_a_failing_and_a_missing_dimension_are_named_with_values_and_the_evidence_is_downloadable(client, owner):
    model = register(owner, "weak")
    counted(model.current_version, "robustness", 7.5)
    energy = counted(model.current_version, "energy", 0.02, evidence=b"codecarbon 0.02 g")

    html = _page(client, "weak")

    assert "Not certified: robustness is 7.5, which does not pass &lt; 5" in html
    assert "there is no counted value for explainability" in html
    assert hashlib.sha256(b"codecarbon 0.02 g").hexdigest()[:16] in html
    download = client.get(f"/health/evidence/{energy.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"codecarbon 0.02 g"
    policy = download["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_the_answer_is_in_chinese_too_and_evidence_of_uncounted_values_is_not_served(client, owner):
    model = register(owner, "zh")
    pending = counted(model.current_version, "energy", 0.02, status="pending", evidence=b"x")

    html = client.get("/health/zh/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "未认证" in html and "社区报告，未验证：0.02" in html  # the pending value shows, and does not count
    assert client.get(f"/health/evidence/{pending.pk}/").status_code == 404
    assert client.get("/health/evidence/999999/").status_code == 404
