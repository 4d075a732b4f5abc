"""OpenAPI generation: names components of nested `InputSerializer` / `OutputSerializer` classes uniquely.

Every API class nests serializers with the same two names (the HackSoft style); drf-spectacular would
name them all "Input"/"Output". Prefixing the owner (`TokenObtainApi.InputSerializer` → `TokenObtainInput`)
keeps each component distinct and readable.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        owner, _, _ = type(serializer).__qualname__.rpartition(".")
        if owner:
            owner = owner.split(".")[-1].removesuffix("Api")
            name = owner + name.removesuffix("Serializer")
        return name
