"""Check claims.yaml against the repaired Markdown in zh/.

For every record: required fields and allowed values are present, the id is unique,
the section anchor exists in zh/ch1.md … zh/ch4.md, and the quote occurs verbatim
(exactly once) in that section's Markdown, so the portal can place a badge next to it.
A section runs from its heading to the next heading of the same or a higher level.

Run from anywhere:  python check_claims.py   (needs PyYAML)
Exit status 0 when every record passes, 1 otherwise.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CHAPTERS = [HERE / "zh" / f"ch{n}.md" for n in range(1, 5)]
STATUSES = {"verified", "partly", "incorrect", "go3s-unverifiable", "benchmark-not-reproduced"}
FIELDS = [
    "id",
    "section",
    "quote",
    "status",
    "summary_en",
    "evidence",
    "correction",
    "go_version_checked",
    "checked_on",
    "broken_command",
    "fix_command",
]
HEADING = re.compile(r"^(#{1,6}) .*?\{#([a-z0-9-]+)\}\s*$")
FENCE = re.compile(r"^(```|~~~)")


def sections() -> dict[str, tuple[str, str, str]]:
    """Map anchor id -> (file name, section Markdown, same text with fenced code removed)."""
    found: dict[str, tuple[str, str, str]] = {}
    for path in CHAPTERS:
        lines = path.read_text(encoding="utf-8").split("\n")
        heads = []  # (line index, level, id); headings inside code fences are ignored
        in_fence = False
        for i, line in enumerate(lines):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            m = None if in_fence else HEADING.match(line)
            if m:
                heads.append((i, len(m.group(1)), m.group(2)))
        for k, (start, level, anchor) in enumerate(heads):
            end = next((j for j, lv, _ in heads[k + 1 :] if lv <= level), len(lines))
            body = lines[start:end]
            prose, fenced = [], False
            for line in body:
                if FENCE.match(line):
                    fenced = not fenced
                elif not fenced:
                    prose.append(line)
            if anchor in found:
                raise SystemExit(f"duplicate anchor {anchor} in {path.name}")
            found[anchor] = (path.name, "\n".join(body), "\n".join(prose))
    return found


def main() -> int:
    records = yaml.safe_load((HERE / "claims.yaml").read_text(encoding="utf-8"))
    secs = sections()
    errors: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    in_code: list[str] = []
    for n, rec in enumerate(records, 1):
        rid = rec.get("id", f"#{n}")
        for field in FIELDS:
            if field not in rec:
                errors.append(f"{rid}: missing field {field}")
        if set(rec) - set(FIELDS):
            errors.append(f"{rid}: unknown fields {sorted(set(rec) - set(FIELDS))}")
        if rid in seen:
            errors.append(f"{rid}: duplicate id")
        seen.add(rid)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(rid)):
            errors.append(f"{rid}: id is not a slug")
        status = rec.get("status")
        counts[status] = counts.get(status, 0) + 1
        if status not in STATUSES:
            errors.append(f"{rid}: bad status {status!r}")
        if not isinstance(rec.get("checked_on"), datetime.date):
            errors.append(f"{rid}: checked_on is not a date")
        if not isinstance(rec.get("broken_command"), bool):
            errors.append(f"{rid}: broken_command is not a boolean")
        if rec.get("broken_command") and not (rec.get("fix_command") or rec.get("correction")):
            errors.append(f"{rid}: broken command without fix_command or correction")
        if not rec.get("broken_command") and rec.get("fix_command"):
            errors.append(f"{rid}: fix_command given but broken_command is false")
        if status in {"go3s-unverifiable", "benchmark-not-reproduced"} and rec.get("correction"):
            errors.append(f"{rid}: correction should be empty for status {status}")
        if status in {"incorrect", "partly"} and not rec.get("correction"):
            errors.append(f"{rid}: correction missing for status {status}")
        for field in ("summary_en", "evidence", "go_version_checked"):
            if not rec.get(field):
                errors.append(f"{rid}: empty {field}")
        section, quote = rec.get("section"), rec.get("quote") or ""
        if section not in secs:
            errors.append(f"{rid}: section {section!r} is not an anchor in zh/ch1-4.md")
            continue
        if not quote or "`" in quote or "\n" in quote:
            errors.append(f"{rid}: quote must be one line of text without backticks")
        fname, body, prose = secs[section]
        hits = body.count(quote)
        if hits == 0:
            errors.append(f"{rid}: quote not found in {section} ({fname}): {quote!r}")
        elif hits > 1:
            errors.append(f"{rid}: quote occurs {hits} times in {section}; make it unique")
        elif quote not in prose:
            in_code.append(f"{rid} ({section})")
    print(f"{len(records)} records; by status: {dict(sorted(counts.items()))}")
    print(f"broken commands: {sum(1 for r in records if r.get('broken_command'))}")
    if in_code:
        print("quotes inside code fences (claims about a command or code):", ", ".join(in_code))
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
