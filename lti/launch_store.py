"""pylti1p3's launch-data storage in the database (model `LaunchValue`), shared by every web process.

Keys are global (no per-browser session prefix): states and nonces are random, and the state is also
bound to the browser by the library's state cookie. A nonce is consumed by `nonce_consume` when a launch
is accepted, so the same id_token cannot be replayed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from pylti1p3.launch_data_storage.base import LaunchDataStorage

from lti.models import LaunchValue

DEFAULT_LIFETIME_SECONDS = 600


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = LaunchValue.objects.filter(key=self._prepare_key(key), expires_at__gt=timezone.now()).first()
        return row.value if row else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        lifetime = min(exp or DEFAULT_LIFETIME_SECONDS, DEFAULT_LIFETIME_SECONDS * 6)
        LaunchValue.objects.filter(expires_at__lte=timezone.now()).delete()
        LaunchValue.objects.update_or_create(
            key=self._prepare_key(key), defaults={"value": value, "expires_at": timezone.now() + timedelta(seconds=lifetime)}
        )

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


def nonce_consume(nonce: str) -> bool:
    """Removes the nonce the login step issued; True only for the one caller that removed it."""
    deleted, _ = LaunchValue.objects.filter(key=f"lti1p3-nonce-{nonce}").delete()
    return deleted > 0
