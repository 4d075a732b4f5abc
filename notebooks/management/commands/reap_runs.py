from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notebooks.services import runs_reap, runs_redispatch


class Command(BaseCommand):
    help = "Re-queues (once) or fails runs whose runner stopped heartbeating, and sends runs the broker never got."

    def handle(self, *args: Any, **options: Any) -> None:
        reaped = runs_reap()
        sent = runs_redispatch()
        self.stdout.write(f"re-queued {reaped['requeued']}, failed {reaped['failed']}, dispatched {sent}")
