"""Typed notebook parameters: read from the `parameters` cell, validated before anything is queued.

papermill's inspection gives each parameter's name, inferred type and default; the notebook's
`metadata.portal.parameters` adds constraints (`min`, `max`, `choices`) and help text. papermill itself
only warns on unknown names and passes `-p` values as strings; here an unknown name, a wrong type or an
out-of-range value is a 400 that names the parameter.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from accounts.errors import ApplicationError

TYPES = ("int", "float", "str", "bool", "list")
MAX_STRING = 2000
MAX_LIST = 200


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
    if isinstance(declared.get("help"), dict):
        spec["help_i18n"] = declared["help"]
    return spec


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


def _coerce(spec: dict[str, Any], value: Any, *, from_form: bool) -> Any:
    """The value converted to the parameter's type, or ValueError with a user-facing reason."""
    kind = spec["type"]
    if from_form and isinstance(value, str):
        value = value.strip()
        if kind == "bool":
            lowered = value.lower()
            if lowered in {"true", "on", "1", "yes"}:
                return True
            if lowered in {"false", "off", "0", "no", ""}:
                return False
            raise ValueError("must be true or false")
        if kind in {"int", "float", "list"}:
            try:
                value = ast.literal_eval(value) if kind == "list" else (int(value) if kind == "int" else float(value))
            except (ValueError, SyntaxError):
                raise ValueError(
                    f"must be {'a list' if kind == 'list' else 'an integer' if kind == 'int' else 'a number'}"
                ) from None
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
        if len(value) > MAX_STRING:
            raise ValueError(f"must be at most {MAX_STRING} characters")
        return value
    if kind == "list":
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise ValueError(f"must be a list of at most {MAX_LIST} items")
        if not all(isinstance(item, (int, float, str, bool)) and not isinstance(item, dict) for item in value):
            raise ValueError("must hold only numbers, text or true/false")
        return value
    raise ValueError("has an unsupported type")


def _check_constraints(spec: dict[str, Any], value: Any) -> None:
    if "choices" in spec and value not in spec["choices"]:
        raise ValueError("must be one of " + ", ".join(str(choice) for choice in spec["choices"]))
    if spec["type"] in {"int", "float"}:
        if "min" in spec and value < spec["min"]:
            raise ValueError(f"must be at least {spec['min']}")
        if "max" in spec and value > spec["max"]:
            raise ValueError(f"must be at most {spec['max']}")


def validate_parameters(specs: list[dict[str, Any]], given: Any, *, from_form: bool = False) -> dict[str, Any]:
    """The full parameter set for a run (defaults filled in), or ApplicationError naming every bad field.

    Only parameters that differ from nothing are stored: every name of the notebook is present in the
    result, so a run records exactly what it was executed with.
    """
    if not isinstance(given, dict):
        raise ApplicationError("Parameters must be an object of name → value.", fields={"parameters": ["Expected an object."]})
    by_name = {spec["name"]: spec for spec in specs}
    errors: dict[str, list[str]] = {}
    for name in given:
        if name not in by_name:
            errors[str(name)] = [f"Unknown parameter {name!r}; this notebook takes: {', '.join(sorted(by_name)) or 'none'}."]
    values: dict[str, Any] = {}
    for name, spec in by_name.items():
        if name not in given:
            values[name] = spec["default"]
            continue
        try:
            value = _coerce(spec, given[name], from_form=from_form)
            _check_constraints(spec, value)
        except ValueError as error:
            errors[name] = [f"{name} {error}."]
        else:
            values[name] = value
    if errors:
        raise ApplicationError("Some parameters are not valid for this notebook.", code="invalid_parameters", fields=errors)
    return values
