"""Every CSV export goes through accounts.spreadsheet_csv: a cell that a spreadsheet would run as a formula
arrives as text."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from accounts.spreadsheet_csv import csv_text, neutralise_cell

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "courses", "governance", "guide", "notebooks", "portal")


@pytest.mark.parametrize("hostile", ["=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x","y")'])
def test_a_cell_that_would_start_a_formula_gets_a_leading_apostrophe(hostile):
    assert neutralise_cell(hostile) == "'" + hostile


@pytest.mark.parametrize("plain", ["alice", "Zhang Wei 张伟", "a=b", "1+1", "", "'quoted"])
def test_plain_text_is_unchanged(plain):
    assert neutralise_cell(plain) == plain


def test_numbers_stay_numbers_even_when_negative():
    text = csv_text(["name", "amount"], [["=cmd", -5], ["ok", 3.5]])

    assert list(csv.reader(io.StringIO(text))) == [["name", "amount"], ["'=cmd", "-5"], ["ok", "3.5"]]


def test_no_module_writes_csv_except_the_one_helper():
    """Complete by construction: a new export that builds its own csv.writer fails here."""
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "spreadsheet_csv.py" or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in {"writer", "DictWriter"}
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "csv"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_guard_finds_a_writer(tmp_path):
    """The guard above can fail: the same walk finds csv.writer in a sample module."""
    tree = ast.parse("import csv\nw = csv.writer(open('x'))\n")
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "writer"]
    assert found


def test_the_csv_response_is_a_neutralised_download_excel_reads_as_utf8():
    from accounts.spreadsheet_csv import csv_response

    response = csv_response(["name"], [["=cmd"], ["李雷"]], "grades.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="grades.csv"'
    assert response.content.decode("utf-8") == "\ufeffname\n'=cmd\n李雷\n"
