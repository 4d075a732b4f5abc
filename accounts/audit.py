"""Writing the audit log. Every service that changes state calls `audit_log_record` once per change."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from accounts.errors import NotAllowed
from accounts.models import AuditLogEntry, User

JsonValue = Any


def _jsonable(value: Any) -> JsonValue:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, JsonValue]:
    """The named fields of `obj` as JSON-safe values (foreign keys by id)."""
    result: dict[str, JsonValue] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _jsonable(getattr(obj, attname))
    return result


def audit_log_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditLogEntry:
    """Appends one entry. `actor=None` means the system (a task or a command run without a user).

    The object type is the model's label, or its `audit_object_type` when it has one: a model that moved to
    another app keeps the name its earlier entries were written under, so its history stays one list.
    """
    if obj is not None:
        object_type = object_type or getattr(obj, "audit_object_type", obj._meta.label_lower)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    authenticated = actor is not None and actor.is_authenticated
    return AuditLogEntry.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.get_username() if authenticated and actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )


def refusal_logged(*, actor: User | None, action: str, obj: models.Model, reason: str, code: str = "forbidden") -> NotAllowed:
    """Logs a refused attempt as `<action>.denied` and returns the 403 for the caller to raise.

    Call it outside any transaction that the refusal rolls back (else use `refusal_logged_after_rollback` with
    `atomic_logging_refusals`).
    """
    audit_log_record(actor=actor, action=f"{action}.denied", obj=obj, after={"reason": reason})
    return NotAllowed(reason, code=code)


def refusal_logged_after_rollback(
    error: Exception, *, actor: User | None, action: str, obj: models.Model, reason: str
) -> Exception:
    """Attaches a `.denied` log entry to `error`; `atomic_logging_refusals` writes it after the rollback."""
    error.audit_entry = {"actor": actor, "action": f"{action}.denied", "obj": obj, "after": {"reason": reason}}  # type: ignore[attr-defined]
    return error


def atomic_logging_refusals(func: Any) -> Any:
    """Like `transaction.atomic`, but a refusal built with `refusal_logged_after_rollback()` is logged after the
    rollback, so it stays on record."""
    from functools import wraps

    from django.db import transaction

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Exception as error:
            entry = getattr(error, "audit_entry", None)
            if entry is not None:
                audit_log_record(**entry)
            raise

    return wrapper
