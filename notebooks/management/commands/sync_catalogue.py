from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notebooks.services import catalogue_sync


class Command(BaseCommand):
    help = "Syncs the notebook catalogue from the repository's .ipynb files (each new content is a new version)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strict", action="store_true", help="Fail if any notebook is invalid.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = catalogue_sync(actor=None)
        for label in ("added", "updated", "unchanged", "retired"):
            names = getattr(report, label)
            if names:
                self.stdout.write(f"  {label}: {', '.join(names)}")
        for path, problems in report.invalid.items():
            self.stderr.write(self.style.WARNING(f"  invalid {path}:"))
            for problem in problems:
                self.stderr.write(f"    - {problem}")
        if report.invalid and options["strict"]:
            raise CommandError(f"{len(report.invalid)} notebook(s) do not fit the catalogue format.")
