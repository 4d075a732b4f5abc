"""The default storage's backend: the file system under PORTAL_DATA_DIR, or an S3-compatible bucket.

Read by the settings (`STORAGES["default"]`) from what `portal.env.Env.object_storage` validated.
"""

from __future__ import annotations

from typing import Any


def default_storage_backend(options: dict[str, str] | None, *, querystring_expire: int = 300) -> dict[str, Any]:
    if options is None:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": options["bucket"],
            "access_key": options["access_key"],
            "secret_key": options["secret_key"],
            "region_name": options["region"],
            "endpoint_url": options["endpoint_url"] or None,
            # As on the file system: a name already taken gets a new one; nothing is overwritten.
            "file_overwrite": False,
            "default_acl": None,
            # Any URL the storage signs expires soon (downloads stream through the portal and sign none).
            "querystring_expire": querystring_expire,
            # An unreachable storage fails a request or a run within seconds, with its reason, instead of hanging.
            "client_config": Config(
                s3={"addressing_style": options["addressing_style"]},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
