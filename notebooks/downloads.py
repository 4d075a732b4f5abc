"""Opening a stored file for a download: the file system or the object storage, read through Django's storage.

Every download streams through the portal (never a redirect to the bucket), so its permission check and headers
stay the portal's. A file that is gone is a 404; a storage that cannot be reached is a 503 that says so, not a 500.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from django.core.files.storage import Storage, default_storage
from django.http import HttpResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


class StoredFileMissing(Exception):
    """The record names a file the storage does not have."""


class StorageUnreachable(Exception):
    """The storage did not answer (an S3 endpoint down, a disk error)."""


def open_stored(name: str, storage: Storage | None = None) -> IO[Any]:
    """The stored file `name`, open for reading; StoredFileMissing or StorageUnreachable when it cannot be."""
    storage = storage or default_storage
    try:
        return storage.open(name, "rb")
    except FileNotFoundError as error:
        raise StoredFileMissing(name) from error
    except Exception as error:  # botocore's errors, OSError: whatever the backend raises when it cannot answer
        log.exception("the storage could not open %s", name)
        raise StorageUnreachable(f"{type(error).__name__}: {error}") from error


def storage_unreachable_response() -> HttpResponse:
    response = HttpResponse(
        _("The file storage cannot be reached just now. Nothing is lost: try again in a minute."),
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "30"
    return response
