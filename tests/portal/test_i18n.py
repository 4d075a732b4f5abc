"""The catalogues: every UI string extracted, translated to Chinese, and compiled."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) per entry of a .po file; good enough for Django's own catalogues."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid: list[str] = []
        msgstr: list[str] = []
        current: list[str] | None = None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[6:]
            elif line.startswith("msgstr"):
                current = msgstr
                line = line.split(" ", 1)[1]
            elif line.startswith("msgid_plural"):
                current = None
                continue
            elif not line.startswith('"'):
                continue
            if current is not None:
                current.append(line.strip().strip('"'))
        if msgid or msgstr:
            entries.append(("".join(msgid), "".join(msgstr), fuzzy))
    return entries


def test_chinese_catalogue_translates_every_entry():
    entries = [entry for entry in _entries((LOCALE / "zh_Hans/LC_MESSAGES/django.po").read_text()) if entry[0]]

    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_compiled_catalogue_is_up_to_date(language, tmp_path):
    po = LOCALE / language / "LC_MESSAGES/django.po"
    mo = po.with_suffix(".mo")
    fresh = tmp_path / "django.mo"

    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)

    assert mo.read_bytes() == fresh.read_bytes(), f"run: python manage.py compilemessages ({mo} is stale)"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools missing")
def test_every_ui_string_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the tree finds no msgid missing from the committed catalogue."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv*", ".git", "var", "node_modules", "catalogue", "staticfiles", "__pycache__"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PORTAL_DATA_DIR": str(tmp_path / "var")},
    )
    committed = {msgid for msgid, _, _ in _entries((LOCALE / "zh_Hans/LC_MESSAGES/django.po").read_text())}
    extracted = {msgid for msgid, _, _ in _entries((copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text())}

    assert extracted - committed == set()
