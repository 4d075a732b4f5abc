from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_every_admin_list_renders_for_an_administrator(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))

    failures = []
    for model in site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        status = client.get(url).status_code
        if status != 200:
            failures.append((url, status))

    assert failures == []
