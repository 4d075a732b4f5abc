"""Typed notebook parameters: read from the `parameters` cell, validated before anything is queued.

papermill's inspection gives each parameter's name, inferred type and default; the notebook's
`metadata.portal.parameters` adds constraints (`min`, `max`, `choices`) and help text. papermill itself
only warns on unknown names and passes `-p` values as strings; here an unknown name, a wrong type or an
out-of-range value is a 400 that names the parameter.

A text parameter declares its `kind` (catalogue/README.md), because notebooks use text as file names and
folders: `identifier` (letters, digits, `.`, `_`, `-`; no slashes, no leading dot), `choice` (one of
`choices`), `path` (relative, and resolving inside the run's scratch directory, which mirrors the
catalogue) or `text` (free text without control characters, at most `max_length`). One that declares
none is an `identifier`, the narrowest. The kernel's sandbox is the second line, not the first.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from typing import Any

from accounts.errors import ApplicationError
from notebooks.contract import ParameterSpec, parameter_specs

TYPES = ("int", "float", "str", "bool", "list")
MAX_STRING = 2000
MAX_LIST = 200
STRING_KINDS = ("identifier", "choice", "path", "text")
DEFAULT_MAX_LENGTH = {"identifier": 64, "choice": MAX_STRING, "path": 255, "text": 200}
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*|\.\.")
# Where a notebook's folder sits below its scratch root (catalogue/<kind>/): how far `..` may climb.
NOTEBOOK_DEPTH = 1


def spec_from_inspection(name: str, type_name: str, default: str, help_text: str, declared: dict[str, Any]) -> dict[str, Any]:
    """One parameter spec from papermill's inspection of the cell plus the notebook's declared constraints."""
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        value = default
    if type_name not in TYPES:
        # papermill names a type only when the cell annotates it (`steps: int = 3`); else the default tells.
        type_name = _type_of(value) or "str"
    spec: dict[str, Any] = {"name": name, "type": type_name, "default": value, "help": help_text.strip()}
    for key in ("min", "max", "choices"):
        if key in declared:
            spec[key] = declared[key]
    if type_name == "str":
        kind = declared.get("kind") or ("choice" if "choices" in declared else "identifier")
        spec["kind"] = kind if kind in STRING_KINDS and (kind != "choice" or "choices" in declared) else "identifier"
        spec["max_length"] = min(int(declared.get("max_length") or DEFAULT_MAX_LENGTH[spec["kind"]]), MAX_STRING)
    if isinstance(declared.get("help"), dict):
        spec["help_i18n"] = declared["help"]
    return spec


def string_kind_problems(specs: list[dict[str, Any]], declared: dict[str, Any]) -> list[str]:
    """What is wrong with the text parameters' declared kinds: an unknown kind, a `choice` without
    choices, a default its own kind refuses."""
    problems = []
    for spec in specs:
        if spec["type"] != "str":
            continue
        kind = (declared.get(spec["name"]) or {}).get("kind")
        if kind is not None and kind not in STRING_KINDS:
            problems.append(f"parameter {spec['name']!r}: kind must be one of {', '.join(STRING_KINDS)}")
        elif kind == "choice" and "choices" not in spec:
            problems.append(f"parameter {spec['name']!r}: kind 'choice' needs choices")
        else:
            try:
                _check_string_kind(ParameterSpec.from_stored(spec), str(spec["default"]))
            except ValueError as error:
                problems.append(f"parameter {spec['name']!r}: its default {error} (kind {spec['kind']})")
    return problems


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return None


def parameter_from_text(spec: ParameterSpec, text: str) -> Any:
    """What a form field typed for the parameter, converted to its type (then checked by `parameter_value`), or
    ValueError with a user-facing reason. Text parameters are taken as typed; the web form is the only caller."""
    kind, text = spec.type, text.strip()
    if kind == "bool":
        lowered = text.lower()
        if lowered in {"true", "on", "1", "yes"}:
            return True
        if lowered in {"false", "off", "0", "no", ""}:
            return False
        raise ValueError("must be true or false")
    if kind in {"int", "float", "list"}:
        try:
            return ast.literal_eval(text) if kind == "list" else (int(text) if kind == "int" else float(text))
        except (ValueError, SyntaxError):
            raise ValueError(f"must be {'a list' if kind == 'list' else 'an integer' if kind == 'int' else 'a number'}") from None
    return text


def parameter_value(spec: ParameterSpec, value: Any) -> Any:
    """The typed value if the parameter accepts it (type, text kind, bounds, choices), or ValueError with a
    user-facing reason. Values come typed: JSON from the API, `parameter_from_text` from the form."""
    value = _typed(spec, value)
    _check_constraints(spec, value)
    return value


def _typed(spec: ParameterSpec, value: Any) -> Any:
    kind = spec.type
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind == "int":
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not value.is_integer())
        ):
            raise ValueError("must be an integer")
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a finite number")
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError("must be text")
        return _check_string_kind(spec, value)
    if kind == "list":
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise ValueError(f"must be a list of at most {MAX_LIST} items")
        if not all(isinstance(item, (int, float, str, bool)) and not isinstance(item, dict) for item in value):
            raise ValueError("must hold only numbers, text or true/false")
        if any(isinstance(item, str) and not IDENTIFIER.fullmatch(item[:65]) for item in value):
            raise ValueError("must hold only short identifiers (letters, digits, '.', '_', '-') as text items")
        return value
    raise ValueError("has an unsupported type")


def _check_string_kind(spec: ParameterSpec, value: str) -> str:
    """The value if it is what the parameter's kind allows, else ValueError saying what is allowed."""
    kind = spec.kind or "identifier"
    limit = int(spec.max_length or DEFAULT_MAX_LENGTH.get(kind, 64))
    if len(value) > limit:
        raise ValueError(f"must be at most {limit} characters")
    if kind == "choice":
        return value  # _check_constraints compares it with the declared choices
    if kind == "identifier":
        if not IDENTIFIER.fullmatch(value):
            raise ValueError("must be an identifier: letters, digits, '.', '_' or '-', not starting with '.' or '-'")
        return value
    if kind == "path":
        return _check_relative_path(value)
    if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in value):
        raise ValueError("must not contain control characters")
    return value


def _check_relative_path(value: str) -> str:
    """A relative path that stays inside the run's scratch directory, judged from its text alone (the
    notebook's folder is NOTEBOOK_DEPTH below the scratch root): no absolute path, no `~`, no climbing
    above the root, only plain file-name characters."""
    if not value or value.startswith(("/", "~")) or "\\" in value:
        raise ValueError("must be a relative path inside the run's folder")
    depth = NOTEBOOK_DEPTH
    for part in value.split("/"):
        if part in {"", "."}:
            continue
        if not PATH_PART.fullmatch(part):
            raise ValueError("must be a relative path of letters, digits, '.', '_' and '-' (no hidden names)")
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            raise ValueError("must stay inside the run's folder (it climbs out with '..')")
    return value


def _check_constraints(spec: ParameterSpec, value: Any) -> None:
    if spec.choices is not None and value not in spec.choices:
        raise ValueError("must be one of " + ", ".join(str(choice) for choice in spec.choices))
    if spec.type in {"int", "float"}:
        if spec.min is not None and value < spec.min:
            raise ValueError(f"must be at least {spec.min}")
        if spec.max is not None and value > spec.max:
            raise ValueError(f"must be at most {spec.max}")


def validate_parameters(specs: Iterable[ParameterSpec | dict[str, Any]], given: Any) -> dict[str, Any]:
    """The full parameter set for a run (defaults filled in), or ApplicationError naming every bad field.
    `given` holds typed values (JSON from the API, a form's cleaned data), never text to convert.

    Every name of the notebook is present in the result, so a run records exactly what it was executed with.
    """
    if not isinstance(given, dict):
        raise ApplicationError("Parameters must be an object of name → value.", fields={"parameters": ["Expected an object."]})
    by_name = {spec.name: spec for spec in parameter_specs(specs)}
    errors: dict[str, list[str]] = {}
    for name in given:
        if name not in by_name:
            errors[str(name)] = [f"Unknown parameter {name!r}; this notebook takes: {', '.join(sorted(by_name)) or 'none'}."]
    values: dict[str, Any] = {}
    for name, spec in by_name.items():
        if name not in given:
            values[name] = spec.default
            continue
        try:
            value = parameter_value(spec, given[name])
        except ValueError as error:
            errors[name] = [f"{name} {error}."]
        else:
            values[name] = value
    if errors:
        raise ApplicationError("Some parameters are not valid for this notebook.", code="invalid_parameters", fields=errors)
    return values
