"""JSON request bodies that cannot hurt the web process: bounded in size, in nesting depth and in encoding.

DRF's own JSONParser reads the whole stream (Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards `request.body`,
not the stream DRF reads), decodes it with whatever charset the client names, and lets the C decoder's
RecursionError on a deeply nested body escape as a 500. This parser reads at most the configured limit,
accepts UTF-8 only (RFC 8259), and refuses nesting deeper than any endpoint of the portal needs.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json

from accounts.errors import TooLarge

MAX_DEPTH = 32


def nesting_depth(value: Any) -> int:
    """The depth of nested lists and objects, walked without recursion (1 for a flat list or object)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"A JSON body may be at most {limit // 1024} KB.", fields={"body": [f"At most {limit} bytes."]})
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=drf_json.strict_constant if self.strict else None)
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON must be UTF-8: {error.reason} at byte {error.start}.") from None
        except RecursionError:
            raise ParseError(f"JSON may be nested at most {MAX_DEPTH} levels deep.") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON may be nested at most {MAX_DEPTH} levels deep.")
        return data
