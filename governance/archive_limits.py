"""Archives looked at before they are inflated: a decompression bomb is refused from its directory.

A zip's central directory declares each member's compressed and uncompressed size; the count comes from the
end-of-central-directory record, read before `zipfile` builds one object per entry. Python's zipfile never
inflates a member past its declared size (it stops at `file_size` and then fails the CRC), so checking the
declared sizes bounds what reading can allocate. An `.npz` member's `.npy` header declares its shape and
dtype; that too is checked (against the member's declared size and the methodology's caps) before any
array is allocated.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.files.uploadedfile import UploadedFile

from accounts.errors import ApplicationError, TooLarge

EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_MIN = 22


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int
    max_member_bytes: int
    max_total_bytes: int
    max_ratio: int


def too_large(field: str, message: str) -> TooLarge:
    return TooLarge(message, fields={field: [message]})


def invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_package", fields={field: [message]})


def read_upload(upload: UploadedFile, field: str, limit: int) -> bytes:
    """The upload's bytes, refused (413, naming the limit) from its size on disk before anything is read into
    memory; Django has already streamed a large upload to a temporary file."""
    if upload.size is not None and upload.size > limit:
        raise too_large(field, f"{field} is {upload.size:,} bytes; the limit is {limit:,}.")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(field, f"{field} is larger than the limit of {limit:,} bytes.")
    return data


def declared_member_count(data: bytes, field: str) -> int:
    """The entry count from the end-of-central-directory record (without parsing the directory itself)."""
    tail = data[-(EOCD_MIN + 65535) :]
    at = tail.rfind(EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < EOCD_MIN:
        raise invalid(field, "Not a valid zip archive (no end-of-central-directory record).")
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if entries == 0xFFFF:
        raise invalid(field, "ZIP64 archives are not accepted.")
    return int(entries)


def checked_members(data: bytes, field: str, limits: ArchiveLimits) -> dict[str, zipfile.ZipInfo]:
    """The members of a zip whose declared sizes and compression ratios are within `limits` (413 otherwise,
    naming the limit). Nothing is inflated."""
    count = declared_member_count(data, field)
    if count > limits.max_members:
        raise too_large(field, f"{field} holds {count} members; at most {limits.max_members} are accepted.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, struct.error) as error:
        raise invalid(field, f"{field} is not a valid zip archive.") from error
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise too_large(field, f"{field} holds {len(infos)} members; at most {limits.max_members} are accepted.")
    total = 0
    for info in infos:
        if info.file_size > limits.max_member_bytes:
            raise too_large(
                field,
                f"{field}: {info.filename} unpacks to {info.file_size:,} bytes; the limit is {limits.max_member_bytes:,}.",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise too_large(
                field,
                f"{field}: {info.filename} is compressed {ratio:,.0f}:1; the limit is {limits.max_ratio}:1.",
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise too_large(field, f"{field} unpacks to {total:,} bytes; the limit is {limits.max_total_bytes:,}.")
    return {info.filename: info for info in infos}


def npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, field: str) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """(shape, dtype) from a member's .npy header, read without reading its data; the declared data size must
    match the member's declared size."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version in {(2, 0), (3, 0)}:
                shape, _fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unknown .npy version {version}")
        except ValueError as error:
            raise invalid(field, f"{info.filename} is not a plain .npy array: {str(error)[:200]}") from error
        header_bytes = stream.tell()
    if dtype.hasobject:
        raise invalid(field, f"{info.filename} holds Python objects; only plain arrays are accepted.")
    data_bytes = math.prod(shape) * dtype.itemsize
    if header_bytes + data_bytes != info.file_size:
        raise invalid(field, f"{info.filename} declares {list(shape)} {dtype} but holds {info.file_size:,} bytes.")
    return tuple(int(n) for n in shape), dtype
