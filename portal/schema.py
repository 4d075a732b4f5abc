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
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from portal.api_tags import tag_for_path


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`, `not_found`, `wrong_state`.")
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
