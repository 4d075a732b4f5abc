"""OpenAPI generation for the portal's API.

- Names components of nested `InputSerializer` / `OutputSerializer` classes uniquely. Every API class
  nests serializers with the same two names (the HackSoft style); drf-spectacular would name them all
  "Input"/"Output". Prefixing the owner (`TokenObtainApi.InputSerializer` → `TokenObtainInput`) keeps
  each component distinct and readable.
- Declares the error responses every operation can give, with the one error shape of
  `portal/api_errors.py` (`{"error": {"code", "message", "fields"}}`), so clients and schema-driven
  tests (tests/portal/test_api_fuzzing.py) know them: 401/403 anywhere (a wrong token is refused even
  on public endpoints), 400 where there is input, 404 where there is a path parameter or a paginated
  list, and 404/409/413/415/503 on writes (a body can name a missing object); a view adds more with
  `extra_error_codes = ("429",)`. An operation's own `extend_schema(responses=...)` wins.
- Marks every response field the serializer always writes as `required` (all but fields declared with
  `required=False`, which a serializer leaves out when the object has no value), so generated clients type them
  as present.
- Generates the schema in English whoever asks (`SchemaGenerator`): a client generated from it must not depend
  on the Accept-Language of the request that fetched it.
- Declares the API token as an HTTP bearer scheme (`accounts.token_auth` accepts `Bearer <key>` and `Token <key>`).
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from accounts.errors import ERROR_CODES
from portal.api_tags import tag_for_path

# The bounds a database engine gives an integer column (SQLite: 64 bits for every integer field; PostgreSQL:
# 16, 32 or 64 by type). They are storage limits, not API rules, and would make the contract depend on the
# engine the schema was generated on; bounds a serializer states (max_value=…) are kept.
_ENGINE_INTEGER_BOUNDS = {2**63 - 1, -(2**63), 2**31 - 1, -(2**31), 2**15 - 1, -(2**15)}


def _without_engine_bounds(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            if node.get("maximum") in _ENGINE_INTEGER_BOUNDS:
                del node["maximum"]
                node.pop("format", None)
            if node.get("minimum") in _ENGINE_INTEGER_BOUNDS:
                del node["minimum"]
        for value in node.values():
            _without_engine_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _without_engine_bounds(value)


class SchemaGenerator(SpectacularSchemaGenerator):
    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with translation.override("en"):  # lazy texts are resolved inside get_schema
            schema: dict[str, Any] = super().get_schema(request, public)
        _without_engine_bounds(schema)  # the same contract on SQLite and on PostgreSQL
        return schema


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.token_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `POST /api/v1/auth/token/`, sent as `Authorization: Bearer <token>` "
            "(`Authorization: Token <token>` is accepted too).",
        }


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=list(ERROR_CODES), help_text="A stable machine-readable code, e.g. `invalid`, `not_found`, `quarter_frozen`."
    )
    message = serializers.CharField(help_text="A human-readable message, in the request's language.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the metaclass moves it into declared fields
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages per input field (may be empty)."
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_ERRORS = {
    "400": "Bad input; `fields` names what is wrong.",
    "401": "Not signed in, or a wrong token.",
    "403": "Signed in but not allowed.",
    "404": "Not found or not visible to you.",
    "409": "The object is in the wrong state for this action.",
    "413": "The request or an upload is too large.",
    "415": "Unsupported request media type.",
    "429": "Too many attempts; see Retry-After.",
    "503": "A required service (the task queue) is down; nothing was stored. See Retry-After.",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        owner, _, _ = type(serializer).__qualname__.rpartition(".")
        if owner:
            owner = owner.split(".")[-1].removesuffix("Api")
            name = owner + name.removesuffix("Serializer")
        return name

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction != "response":
            return schema
        instance = serializer if isinstance(serializer, serializers.BaseSerializer) else serializer()
        declared = getattr(type(instance), "_declared_fields", {})
        # A field declared `required=False` without a default is left out when the object has no such value.
        optional = {
            name
            for name, field in declared.items()
            if not field.required and not field.read_only and field.default is serializers.empty
        }
        required = [name for name in schema.get("properties", {}) if name not in optional]
        if required:
            schema["required"] = required
        return schema

    def get_tags(self) -> list[str]:
        tag = tag_for_path(self.path)
        return [tag] if tag else super().get_tags()

    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        has_path_parameter = "{" in self.path
        query = {parameter["name"] for parameter in self._get_parameters() if parameter.get("in") == "query"}
        if self.method in _WRITES or query or has_path_parameter:
            codes.append("400")
        if has_path_parameter or "page" in query or self._is_list_view():  # a page past the end is a 404
            codes.append("404")
        if self.method in _WRITES:
            codes += ["404", "409", "413", "415", "503"]
        codes += getattr(self.view, "extra_error_codes", ())
        return sorted(set(codes))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, None, direction)
                responses[code]["description"] = _ERRORS[code]
        return responses
