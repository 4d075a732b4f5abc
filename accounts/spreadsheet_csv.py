"""CSV that spreadsheets open as data, never as formulas: the one writer every export uses.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (OWASP "CSV injection"); such a cell gets a leading apostrophe, which the
spreadsheet shows as text. Numbers are written as numbers, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """The value as a spreadsheet should show it: text that would start a formula is prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV document (header first), every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue()


def csv_response(header: Iterable[str], rows: Iterable[Iterable[Any]], filename: str, *, excel_bom: bool = True) -> HttpResponse:
    """A CSV download through `csv_text`. The byte-order mark makes Excel read UTF-8 (Chinese names) as such."""
    response = HttpResponse(("\ufeff" if excel_bom else "") + csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
