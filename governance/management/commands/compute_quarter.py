"""`manage.py compute_quarter 2026Q4 [--freeze]`: computes (and optionally freezes) a quarter as the system."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import ApplicationError
from governance.services.sponsorship import quarter_compute, quarter_freeze


class Command(BaseCommand):
    help = "Computes a sponsorship quarter from the models certified now; --freeze seals it. A frozen quarter is refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("label", help="The quarter, like 2026Q4.")
        parser.add_argument("--freeze", action="store_true", help="Freeze and seal the quarter after computing it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            quarter = quarter_compute(actor=None, label=options["label"].upper())
            self.stdout.write(
                f"{quarter.label}: {quarter.eligible_count} eligible, {quarter.allocated_minor_units} allocated, "
                f"{quarter.unallocated_minor_units} unallocated ({quarter.currency} minor units)"
            )
            if options["freeze"]:
                quarter = quarter_freeze(actor=None, label=quarter.label)
                self.stdout.write(f"frozen; manifest SHA-256 {quarter.manifest_sha256}")
        except ApplicationError as error:
            raise CommandError(f"{error.message} (HTTP {error.status})") from error
