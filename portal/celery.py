"""The Celery app: three queues, JSON only, late acks with prefetch 1.

Runners are workers consuming `notebooks-cpu` or `notebooks-gpu`; everything else goes to `default` (the names:
notebooks/queues.py).
Tasks are written to be safe to run twice (they claim their work with a conditional UPDATE), which is
what makes late acknowledgement safe: a worker killed mid-task leaves the message to be redelivered.
"""

from __future__ import annotations

import os
from datetime import timedelta

from celery import Celery
from kombu import Queue

from notebooks.queues import ALL_QUEUES, DEFAULT_QUEUE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_queues=[Queue(name) for name in ALL_QUEUES],
    task_default_queue=DEFAULT_QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Defaults for every task; notebook runs set their own, longer limits per run.
    task_soft_time_limit=300,
    task_time_limit=360,
    task_track_started=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_schedule={
        "results-cleanup": {"task": "portal.tasks.results_cleanup", "schedule": timedelta(hours=1)},
        "runs-reap": {"task": "notebooks.runs_reap", "schedule": timedelta(seconds=30)},
        "runs-redispatch": {"task": "notebooks.runs_redispatch", "schedule": timedelta(seconds=15)},
        # Idempotent (one reminder row per certification and threshold): hourly so a missed day costs an hour.
        "certification-reminders": {"task": "governance.certification_reminders", "schedule": timedelta(hours=1)},
    },
)
app.autodiscover_tasks()
