from typing import Any

from django import template

from accounts import audit_sentences
from accounts.models import AuditLogEntry

register = template.Library()


@register.filter(name="audit_sentence")
def audit_sentence(entry: AuditLogEntry) -> str:
    return audit_sentences.sentence(entry)


@register.filter(name="audit_changes")
def audit_changes(entry: AuditLogEntry) -> list[Any]:
    return audit_sentences.changes(entry)
