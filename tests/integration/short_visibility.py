"""The portal's Celery app with a broker that delivers an unacknowledged message again after 3 seconds: what the
settings refuse for real runners (portal/settings.py checks CELERY_VISIBILITY_TIMEOUT against NOTEBOOK_MAX_TIMEOUT),
set here below the settings to show that a redelivered run still executes once. For tests only
(`celery -A tests.integration.short_visibility worker`)."""

from portal.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": 3,
    # Sweep for expired messages every second, not every 100 s, so the redelivery happens within the run.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
