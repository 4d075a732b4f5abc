"""`manage.py verify_quarter 2026Q3 [--file manifest.json] [--sha256 HEX]`: checks a frozen quarter's seal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from accounts.errors import ApplicationError
from governance import sponsorship_rules
from governance.selectors import quarter_verification
from governance.selectors.sponsorship import quarter_get


class Command(BaseCommand):
    help = (
        "Verifies a frozen quarter: its manifest against its SHA-256 and the allocation rule, the rows the pages show, "
        "and every evaluation and evidence file behind it. --file also checks a downloaded manifest.json; "
        "with --sha256 the file is checked on its own, without the database. Exits 1 when anything fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("label", help="The quarter, like 2026Q3.")
        parser.add_argument("--file", type=Path, help="A downloaded manifest.json to check as well.")
        parser.add_argument("--sha256", help="The published SHA-256: check --file against it without the database.")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        data = self._read(options["file"])
        if options["sha256"]:
            if data is None:
                raise CommandError("--sha256 checks a file: pass --file as well.")
            problems = sponsorship_rules.verify_file(data, options["sha256"].strip().lower())
            self._line("file", problems, "the file hashes to the given SHA-256 and its allocations follow from the rule")
            if problems:
                raise CommandError(f"{options['label']}: NOT verified")
            self.stdout.write(self.style.SUCCESS(f"{options['label']}: verified (file only)"))
            return
        try:
            report = quarter_verification.quarter_verify(quarter_get(options["label"].strip()), file=data)
        except ApplicationError as error:
            raise CommandError(f"{error.message} (HTTP {error.status})") from error
        self.stdout.write(f"{report.label}: manifest SHA-256 {report.sha256}")
        for check in report.checks:
            self._line(check.name, [] if check.ok else [check.detail], check.detail)
        if not report.ok:
            raise CommandError(f"{report.label}: NOT verified")
        self.stdout.write(self.style.SUCCESS(f"{report.label}: verified"))

    def _line(self, name: str, problems: list[str], success: str) -> None:
        mark = "ok  " if not problems else "FAIL"
        self.stdout.write(f"  {mark} {name}: {'; '.join(problems) if problems else success}")

    def _read(self, path: Path | None) -> bytes | None:
        if path is None:
            return None
        try:
            if path.stat().st_size > quarter_verification.MAX_MANIFEST_BYTES:
                raise CommandError(f"{path} is larger than a manifest can be.")
            return path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
