"""The Celery queue names, in one place: the settings, the Celery app, bin/up and the run engine read them here.

A plain module (no models), so that `portal.celery` can import it before Django's apps are loaded.
"""

from __future__ import annotations

DEFAULT_QUEUE = "default"  # every task that is not a notebook run
# The Celery queue each run queue is consumed from (runners start with `-Q notebooks-cpu` and so on).
QUEUE_NAMES = {"cpu": "notebooks-cpu", "gpu": "notebooks-gpu"}
ALL_QUEUES = (DEFAULT_QUEUE, *QUEUE_NAMES.values())
