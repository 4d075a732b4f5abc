from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from portal.demo.courses import seed_courses
from portal.demo.curation import seed_curation
from portal.demo.governance import seed_governance
from portal.demo.people import DEMO_LOGINS, DEMO_PASSWORD, seed_people


class Command(BaseCommand):
    help = "Fills the portal with believable demo data at the seed's figures. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--allow-production", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("Refusing to create demo logins with DEBUG off; pass --allow-production if you mean it.")
        log: list[str] = []
        # Seeding triggers notifications; their e-mails stay in memory instead of flooding the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._seed(log)
        for line in log:
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Demo logins (password: {DEMO_PASSWORD}):"))
        for username, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:18} {role}")

    def _seed(self, log: list[str]) -> None:
        seed_people(log)
        seed_courses(log)
        seed_curation(log)
        seed_governance(log)
