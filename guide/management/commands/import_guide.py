from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from guide.services import guide_import


class Command(BaseCommand):
    help = "Imports the repaired guide (guide/content/zh) and its reviewed claims (claims.yaml). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        report = guide_import(actor=None)
        self.stdout.write(f"  chapters {', '.join(report.chapters)}; {report.sections} sections; {report.claims} claims")
        for problem in report.problems:
            self.stderr.write(self.style.WARNING(f"  {problem}"))
        if report.problems:
            raise CommandError(f"{len(report.problems)} claim(s) could not be placed.")
