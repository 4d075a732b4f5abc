"""The API docs are grouped: every operation of the OpenAPI schema carries exactly one of the published tags."""

from __future__ import annotations

import pytest
import yaml

from portal.api_tags import API_TAGS

pytestmark = pytest.mark.django_db


def test_every_operation_has_one_published_tag(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    names = [name for name, _ in API_TAGS]

    tags = {(method.upper(), path): op.get("tags", []) for path, ops in schema["paths"].items() for method, op in ops.items()}

    assert [tag["name"] for tag in schema["tags"]] == names
    assert {key: found for key, found in tags.items() if len(found) != 1 or found[0] not in names} == {}
    assert tags[("GET", "/api/v1/models/{slug}/health/")] == ["health"]
    assert tags[("POST", "/api/v1/runs/")] == ["runs"] and tags[("GET", "/api/v1/stats/")] == ["stats"]
    assert {found[0] for found in tags.values()} == set(names)
