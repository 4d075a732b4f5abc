"""Evaluation packages: validated on upload, never unpickled.

A package is `model.onnx` + `metadata.json` + `eval.npz` (format: catalogue/README.md). The ONNX file is
parsed as protobuf and checked by onnx's checker (no custom operators, no external data); the labelled
set is read with `allow_pickle=False`; shapes, classes and value ranges must agree with the metadata.
Any problem is an ApplicationError naming the field, before anything is stored.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from django.conf import settings
from onnx import TensorProto

from accounts.errors import ApplicationError, TooLarge
from governance.archive_limits import ArchiveLimits, checked_members, npy_header

ALLOWED_DOMAINS = {"", "ai.onnx", "ai.onnx.ml"}


@dataclass(frozen=True)
class Package:
    onnx_bytes: bytes
    eval_bytes: bytes
    metadata: dict[str, Any]
    onnx_sha256: str
    opset: int
    eval_samples: int


def _fail(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_package", fields={field: [message]})


def _check_size(field: str, data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise TooLarge(f"{field} is {len(data):,} bytes; the limit is {limit:,}.", fields={field: ["Too large."]})
    if not data:
        raise _fail(field, "The file is empty.")


def read_metadata(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The metadata, normalised; raises on a missing or ill-typed field."""
    if isinstance(raw, dict):
        data = raw
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise _fail("metadata", f"metadata.json is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise _fail("metadata", "metadata.json must be a JSON object.")
    shape = data.get("input_shape")
    if not (isinstance(shape, list) and shape and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)):
        raise _fail("metadata", "input_shape must be a list of positive integers (without the batch axis).")
    if math.prod(shape) > 1_000_000:
        raise _fail("metadata", "input_shape is larger than an evaluation package may be (1,000,000 values per sample).")
    value_range = data.get("value_range")
    if not (
        isinstance(value_range, list)
        and len(value_range) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value_range)
        and value_range[0] < value_range[1]
    ):
        raise _fail("metadata", "value_range must be [low, high] with low < high.")
    classes = data.get("class_names")
    if not (isinstance(classes, list) and 2 <= len(classes) <= 10_000 and all(isinstance(c, str) and c for c in classes)):
        raise _fail("metadata", "class_names must list at least two non-empty names.")
    if len(set(classes)) != len(classes):
        raise _fail("metadata", "class_names must be distinct.")
    features = data.get("feature_names")
    if features is not None and not (
        isinstance(features, list) and len(features) == math.prod(shape) and all(isinstance(f, str) for f in features)
    ):
        raise _fail("metadata", "feature_names, when given, must name every input value.")
    normalised: dict[str, Any] = {
        "name": str(data.get("name", ""))[:200],
        "version": str(data.get("version", ""))[:40],
        "input_shape": shape,
        "value_range": [float(v) for v in value_range],
        "class_names": classes,
    }
    if features is not None:
        normalised["feature_names"] = features
    return normalised


def _dims(value_info: Any) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def check_onnx(data: bytes, metadata: dict[str, Any]) -> tuple[str, int]:
    """(sha256, opset) of a valid classifier graph whose input/output shapes match the metadata."""
    _check_size("onnx_file", data, settings.GOVERNANCE_ONNX_MAX_BYTES)
    try:
        model = onnx.load_model_from_string(data)
        onnx.checker.check_model(model, full_check=False)
    except Exception as error:  # protobuf's DecodeError, onnx's ValidationError, and their kin
        raise _fail("onnx_file", f"Not a valid ONNX model: {str(error).splitlines()[0][:300]}") from error
    graph = model.graph
    if not graph.node:
        raise _fail("onnx_file", "The ONNX graph has no operators.")
    unknown = sorted({op.domain for op in model.opset_import} - ALLOWED_DOMAINS)
    if unknown:
        raise _fail("onnx_file", f"Custom operator domains are not accepted: {', '.join(unknown)}.")
    for tensor in graph.initializer:
        if tensor.data_location == TensorProto.EXTERNAL:
            raise _fail("onnx_file", "Weights stored outside the file (external data) are not accepted.")
    initializers = {tensor.name for tensor in graph.initializer}
    inputs = [value for value in graph.input if value.name not in initializers]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise _fail(
            "onnx_file", f"The model must take one input and return one output (it has {len(inputs)} and {len(graph.output)})."
        )
    if inputs[0].type.tensor_type.elem_type != TensorProto.FLOAT:
        raise _fail("onnx_file", "The model's input must be float32.")
    expected = metadata["input_shape"]
    dims = _dims(inputs[0])
    if len(dims) != len(expected) + 1 or any(d is not None and d != e for d, e in zip(dims[1:], expected, strict=True)):
        shown = ["N" if d is None else d for d in dims]
        raise _fail("onnx_file", f"The model's input shape {shown} does not match metadata input_shape [N, *{expected}].")
    out = _dims(graph.output[0])
    classes = len(metadata["class_names"])
    if len(out) != 2 or (out[1] is not None and out[1] != classes):
        shown = ["N" if d is None else d for d in out]
        raise _fail("onnx_file", f"The model's output shape {shown} does not match [N, {classes}] (one logit per class).")
    opset = max((op.version for op in model.opset_import if op.domain in {"", "ai.onnx"}), default=0)
    return hashlib.sha256(data).hexdigest(), int(opset)


def eval_limits() -> ArchiveLimits:
    unpacked = settings.GOVERNANCE_EVAL_MAX_UNPACKED_BYTES
    return ArchiveLimits(
        max_members=2, max_member_bytes=unpacked, max_total_bytes=unpacked, max_ratio=settings.GOVERNANCE_ARCHIVE_MAX_RATIO
    )


def check_eval_layout(data: bytes) -> None:
    """Refuses an `eval.npz` from its zip directory and `.npy` headers alone, before any array is inflated:
    exactly `x` and `y`, declared sizes, compression ratio and sample count within the methodology's caps."""
    try:
        members = checked_members(data, "eval_file", eval_limits())
    except TooLarge:
        raise
    except ApplicationError as error:
        raise _fail("eval_file", f"eval.npz could not be read as plain arrays: {error.message}") from error
    if set(members) != {"x.npy", "y.npy"}:
        names = sorted(name.removesuffix(".npy") for name in members)
        raise _fail("eval_file", f"eval.npz must hold exactly the arrays x and y (it holds {names}).")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            x_shape, _ = npy_header(archive, members["x.npy"], "eval_file")
            npy_header(archive, members["y.npy"], "eval_file")
        except ApplicationError as error:
            raise _fail("eval_file", f"eval.npz could not be read as plain arrays: {error.message}") from error
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise _fail("eval_file", f"eval.npz could not be read as plain arrays: {error}") from error
    samples = x_shape[0] if x_shape else 0
    if samples > settings.GOVERNANCE_EVAL_MAX_SAMPLES:
        message = f"eval.npz holds {samples:,} samples; the methodology accepts at most {settings.GOVERNANCE_EVAL_MAX_SAMPLES:,}."
        raise TooLarge(message, fields={"eval_file": [message]})


def check_eval_set(data: bytes, metadata: dict[str, Any]) -> int:
    """The number of labelled samples in a valid `eval.npz`."""
    _check_size("eval_file", data, settings.GOVERNANCE_EVAL_MAX_BYTES)
    check_eval_layout(data)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            x, y = arrays["x"], arrays["y"]
    except ApplicationError:
        raise
    except Exception as error:  # not a zip, an object array (pickle refused), a truncated member …
        raise _fail("eval_file", f"eval.npz could not be read as plain arrays: {str(error)[:300]}") from error
    if x.dtype != np.float32:
        raise _fail("eval_file", f"x must be float32 (it is {x.dtype}).")
    if list(x.shape[1:]) != metadata["input_shape"] or x.shape[0] < 1:
        raise _fail("eval_file", f"x has shape {list(x.shape)}; expected [N, *{metadata['input_shape']}].")
    if y.ndim != 1 or y.shape[0] != x.shape[0] or not np.issubdtype(y.dtype, np.integer):
        raise _fail("eval_file", "y must be integer labels, one per sample of x.")
    if y.size and (y.min() < 0 or y.max() >= len(metadata["class_names"])):
        raise _fail("eval_file", "Every label in y must index class_names.")
    low, high = metadata["value_range"]
    if not np.isfinite(x).all() or x.min() < low or x.max() > high:
        raise _fail("eval_file", f"Every value of x must be finite and inside value_range [{low}, {high}].")
    return int(x.shape[0])


def read_package(
    *, onnx_bytes: bytes, eval_bytes: bytes, metadata: bytes | str | dict[str, Any], isolated: bool = True
) -> Package:
    """The checked package. Uploads are parsed in a child process with its own memory and CPU limits
    (`governance.package_check`); `isolated=False` is for the portal's own packages (demo data, tests)."""
    meta = read_metadata(metadata)
    _check_size("onnx_file", onnx_bytes, settings.GOVERNANCE_ONNX_MAX_BYTES)
    _check_size("eval_file", eval_bytes, settings.GOVERNANCE_EVAL_MAX_BYTES)
    if isolated and settings.GOVERNANCE_PACKAGE_CHECK_MEMORY_MB:
        from governance.package_check import check_in_child

        sha256, opset, samples = check_in_child(onnx_bytes, eval_bytes, meta)
    else:
        sha256, opset = check_onnx(onnx_bytes, meta)
        samples = check_eval_set(eval_bytes, meta)
    return Package(
        onnx_bytes=onnx_bytes, eval_bytes=eval_bytes, metadata=meta, onnx_sha256=sha256, opset=opset, eval_samples=samples
    )


def read_package_zip(data: bytes) -> Package:
    """A package uploaded as one .zip holding model.onnx, metadata.json and eval.npz (at its top level)."""
    _check_size("package", data, settings.GOVERNANCE_ONNX_MAX_BYTES + settings.GOVERNANCE_EVAL_MAX_BYTES)
    limits = ArchiveLimits(
        max_members=3,
        max_member_bytes=max(settings.GOVERNANCE_ONNX_MAX_BYTES, settings.GOVERNANCE_EVAL_MAX_BYTES),
        max_total_bytes=settings.GOVERNANCE_ONNX_MAX_BYTES + settings.GOVERNANCE_EVAL_MAX_BYTES + 1024 * 1024,
        max_ratio=settings.GOVERNANCE_ARCHIVE_MAX_RATIO,
    )
    members = checked_members(data, "package", limits)
    wanted = {"model.onnx", "metadata.json", "eval.npz"}
    if set(members) != wanted:
        raise _fail("package", f"The zip must hold exactly {sorted(wanted)} (it holds {sorted(members)[:10]}).")
    for name, field, limit in (
        ("model.onnx", "onnx_file", settings.GOVERNANCE_ONNX_MAX_BYTES),
        ("eval.npz", "eval_file", settings.GOVERNANCE_EVAL_MAX_BYTES),
        ("metadata.json", "metadata", 1024 * 1024),
    ):
        if members[name].file_size > limit:
            raise TooLarge(
                f"{name} is {members[name].file_size:,} bytes; the limit is {limit:,}.", fields={field: ["Too large."]}
            )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {name: archive.read(name) for name in wanted}
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _fail("package", "The package is not a valid zip file.") from error
    return read_package(onnx_bytes=files["model.onnx"], eval_bytes=files["eval.npz"], metadata=files["metadata.json"])
