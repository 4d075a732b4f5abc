"""Audit-log entries read as sentences ("Li Na submitted audit #4 (FGSM)") with their changes as
"field: before → after" lines, in the reader's language: never a dict repr."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AuditLogEntry

# The last part of an action code → what the actor did (the object follows).
VERBS: dict[str, Any] = {
    "create": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "submit": gettext_lazy("submitted"),
    "decide": gettext_lazy("decided"),
    "accept": gettext_lazy("accepted"),
    "reject": gettext_lazy("rejected"),
    "changes": gettext_lazy("requested changes on"),
    "comment": gettext_lazy("commented on"),
    "release": gettext_lazy("released"),
    "block": gettext_lazy("blocked"),
    "ruling": gettext_lazy("ruled on"),
    "import": gettext_lazy("imported into"),
    "open": gettext_lazy("opened"),
    "compute": gettext_lazy("computed"),
    "freeze": gettext_lazy("froze and sealed"),
    "grant": gettext_lazy("granted"),
    "revoke": gettext_lazy("revoked"),
    "enqueue": gettext_lazy("queued"),
    "cancel": gettext_lazy("cancelled"),
    "requeue": gettext_lazy("re-queued"),
    "run": gettext_lazy("ran"),
    "rerun": gettext_lazy("re-ran"),
    "download": gettext_lazy("downloaded"),
    "join": gettext_lazy("joined"),
    "sync": gettext_lazy("synced"),
    "start": gettext_lazy("started"),
    "finish": gettext_lazy("finished"),
    "fail": gettext_lazy("failed"),
    "review": gettext_lazy("reviewed"),
    "add": gettext_lazy("added"),
    "remove": gettext_lazy("removed"),
    "withdraw": gettext_lazy("withdrew"),
    "remind": gettext_lazy("reminded the owners of"),
    "identity_link": gettext_lazy("linked a sign-in identity to"),
    "identity_unlink": gettext_lazy("unlinked a sign-in identity from"),
    "identity_signup": gettext_lazy("signed up through a sign-in identity as"),
}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_value(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value) or "—"
    return str(value)


def sentence(entry: AuditLogEntry) -> str:
    """ "<actor> <verb> <object type> #<id> (<object>)", or "… was refused" for a logged refusal."""
    parts = entry.action.split(".")
    refused = parts[-1] in {"denied", "refused"}
    if refused:
        parts = parts[:-1]
    verb = VERBS.get(parts[-1]) if len(parts) > 1 else None
    thing = f"{entry.object_type} #{entry.object_id}".strip() if entry.object_id else entry.object_type
    if entry.object_repr:
        thing = f"{thing} ({entry.object_repr})" if thing else entry.object_repr
    action = str(verb) if verb is not None else entry.action.replace("_", " ").replace(".", " · ")
    if refused:
        return _("%(actor)s was refused: %(action)s %(object)s") % {"actor": entry.actor_label, "action": action, "object": thing}
    return _("%(actor)s %(action)s %(object)s") % {"actor": entry.actor_label, "action": action, "object": thing}


def changes(entry: AuditLogEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field whose value differs (or that only one side has)."""
    before = entry.before if isinstance(entry.before, dict) else ({"value": entry.before} if entry.before else {})
    after = entry.after if isinstance(entry.after, dict) else ({"value": entry.after} if entry.after else {})
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        if old != new or key not in before:
            rows.append((key.replace("_", " "), _value(old) if key in before else "", _value(new)))
    return rows
