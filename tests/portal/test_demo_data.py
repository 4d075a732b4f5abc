from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import AuditLogEntry, Role, RoleGrant, User
from accounts.selectors import role_counts
from courses.models import Institution

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_demo_data_has_the_seeds_figures_and_is_idempotent():
    call_command("demo_data", verbosity=0)
    first = (User.objects.count(), RoleGrant.objects.count(), AuditLogEntry.objects.count())
    call_command("demo_data", verbosity=0)

    counts = role_counts()
    assert counts[Role.AUDITOR] == 89
    assert counts[Role.CURATOR] == 142
    assert counts[Role.TOOLCHAIN_MAINTAINER] == 67
    assert Institution.objects.count() == 327
    assert (User.objects.count(), RoleGrant.objects.count(), AuditLogEntry.objects.count()) == first


@override_settings(DEBUG=True)
def test_every_demo_login_signs_in():
    from portal.demo.people import DEMO_LOGINS, DEMO_PASSWORD

    call_command("demo_data", verbosity=0)
    for username, role in DEMO_LOGINS:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username
        assert RoleGrant.objects.filter(user__username=username, role=role, revoked_at__isnull=True).exists()


def test_demo_data_refuses_to_run_in_production():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_data", verbosity=0)


@override_settings(DEBUG=True)
def test_demo_governance_certifies_nothing_on_unverified_values_and_its_frozen_quarter_verifies(settings, tmp_path, capsys):
    from governance.models import Audit, Evaluation, Quarter
    from governance.selectors.health import certified_now

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", verbosity=0)

    # The seed's 43 passing models are community-reported and unverified: shown, waiting for review, not certified.
    unverified = Evaluation.objects.filter(status="pending", provenance="community", run__isnull=True)
    assert unverified.values("version__model").distinct().count() >= 43
    assert (
        certified_now().count() == 0
        and not Evaluation.objects.filter(status="counted", run__isnull=True)
        .exclude(version__model__slug="claims-legacy")
        .exists()
    )
    assert Quarter.objects.get(label="2026Q3").frozen and Quarter.objects.get(label="2026Q4").eligible_count == 0
    assert Audit.objects.filter(author__username="demo-auditor", status="submitted").exists()
    capsys.readouterr()
    call_command("verify_quarter", "2026Q3")
    assert "2026Q3: verified" in capsys.readouterr().out
