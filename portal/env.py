"""Typed access to the environment for settings.

Every setting that comes from the environment is read through these helpers, so a bad value stops the
process at start-up with the variable's name instead of surfacing later as a confusing failure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        return None if value is None else value.strip()

    def _fail(self, name: str, value: str, expected: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: expected {expected}.")

    def text(self, name: str, default: str) -> str:
        raw = self._raw(name)
        return default if raw is None or raw == "" else raw

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self._fail(name, raw, "one of 1/0, true/false, yes/no, on/off")

    def integer(self, name: str, default: int, *, min_value: int | None = None, max_value: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._fail(name, raw, "an integer") from None
        if (min_value is not None and value < min_value) or (max_value is not None and value > max_value):
            raise self._fail(name, raw, f"an integer between {min_value} and {max_value}")
        return value

    def number(self, name: str, default: float, *, min_value: float | None = None) -> float:
        raw = self._raw(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self._fail(name, raw, "a number") from None
        if min_value is not None and value < min_value:
            raise self._fail(name, raw, f"a number of at least {min_value}")
        return value

    def csv(self, name: str, default: list[str]) -> list[str]:
        raw = self._raw(name)
        if raw is None or raw == "":
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise self._fail(name, value, "one of " + ", ".join(choices))
        return value

    def url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        value = self.text(name, default)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            raise self._fail(name, value, "a URL starting with " + " or ".join(f"{s}://" for s in schemes))
        return value

    def secret(self, name: str, *, debug_default: str, debug: bool, min_length: int = 0) -> str:
        """A credential: required outside debug, never defaulted in production."""
        raw = self._raw(name)
        if raw:
            if len(raw) < min_length:
                raise self._fail(name, "***", f"at least {min_length} characters")
            return raw
        if debug:
            return debug_default
        raise ImproperlyConfigured(f"Environment variable {name} is required when DEBUG is off.")

    def pair(self, first: str, second: str) -> tuple[str, str] | None:
        """Two variables that only work together (an OAuth app's client id and secret): both, or neither.

        Half a pair refuses to start, naming the missing one: a sign-in button that fails at the provider is
        worse than no button.
        """
        values = (self.text(first, ""), self.text(second, ""))
        if not any(values):
            return None
        if not all(values):
            missing, given = (first, second) if not values[0] else (second, first)
            raise ImproperlyConfigured(f"Environment variable {missing} is required when {given} is set.")
        return values

    def object_storage(self) -> dict[str, str] | None:
        """The S3-compatible object storage named by django-storages' variables, or None for the file system.

        `AWS_STORAGE_BUCKET_NAME` selects it; the access key, the secret key and the region must come with it
        (`AWS_S3_ENDPOINT_URL` only for MinIO and other S3-compatible servers). A partial set refuses to start,
        naming what is missing: a runner that silently fell back to its own disk would write results the web
        server never sees.
        """
        bucket = self.text("AWS_STORAGE_BUCKET_NAME", "")
        required = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME")
        optional = ("AWS_S3_ENDPOINT_URL", "AWS_S3_ADDRESSING_STYLE")
        if not bucket:
            given = [name for name in (*required, *optional) if self.text(name, "")]
            if given:
                raise ImproperlyConfigured(
                    f"Environment variable AWS_STORAGE_BUCKET_NAME is required when {', '.join(given)} "
                    "is set (object storage is used only when the bucket is named)."
                )
            return None
        missing = [name for name in required if not self.text(name, "")]
        if missing:
            raise ImproperlyConfigured(
                f"Environment variable {missing[0]} is required when AWS_STORAGE_BUCKET_NAME is set "
                f"(missing: {', '.join(missing)})."
            )
        options = {
            "bucket": bucket,
            "access_key": self.text("AWS_ACCESS_KEY_ID", ""),
            "secret_key": self.text("AWS_SECRET_ACCESS_KEY", ""),
            "region": self.text("AWS_S3_REGION_NAME", ""),
            "endpoint_url": "",
            "addressing_style": self.choice("AWS_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")),
        }
        if self.text("AWS_S3_ENDPOINT_URL", ""):
            options["endpoint_url"] = self.url("AWS_S3_ENDPOINT_URL", "", schemes=("http", "https"))
        return options
