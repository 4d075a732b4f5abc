"""One page shape for every API list: `{"count", "next", "previous", "results"}`.

A list view sets `pagination_class = ListPage` (drf-spectacular then declares the envelope and the `page` and
`page_size` parameters in the schema) and answers with `page_response`. `?page=` past the end, or not a number,
is a 404; `page_size` is capped at `max_page_size`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class ListPage(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = super().get_paginated_response_schema(schema)
        described["required"] = ["count", "next", "previous", "results"]  # always present; the links may be null
        return described


def page_response(request: Request, items: QuerySet[Any] | Sequence[Any], serialize: Callable[[list[Any]], Any]) -> Response:
    """The requested page of `items`, each serialized by `serialize(page_items)`, in the envelope."""
    paginator = ListPage()
    page = paginator.paginate_queryset(items, request)  # type: ignore[arg-type]  # a list pages as well as a queryset
    return paginator.get_paginated_response(serialize(list(page or [])))
