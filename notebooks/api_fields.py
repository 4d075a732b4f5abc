"""Typed JSON fields of the API: what a notebook parameter value and a run's metrics look like in the schema.

DRF's `JSONField` is "any value" in OpenAPI; clients generated from such a schema get untyped blobs. These
fields behave as `JSONField` and declare the shapes the engine actually stores (`notebooks/parameters.py`
validates parameter values as int, float, str, bool or a list of those; metrics are the JSON object a
notebook's `metrics` cell displays).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_SCALAR: list[dict[str, Any]] = [{"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"}]
PARAMETER_VALUE: dict[str, Any] = {
    "anyOf": [*_SCALAR, {"type": "array", "items": {"anyOf": _SCALAR}}],
    "description": "A parameter value: an integer, number, string, boolean or a list of those.",
}


@extend_schema_field(PARAMETER_VALUE)
class ParameterValueField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": PARAMETER_VALUE,
        "description": "Parameter name → value; the notebook's declared parameters and their types.",
    }
)
class ParameterValuesField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Metric name → the JSON value the notebook's `metrics` cell displayed (usually a number).",
    }
)
class MetricsField(serializers.JSONField):
    pass
