from django import template

from governance.certification_reasons import reason_text

register = template.Library()


@register.filter(name="reason_text")
def reason_text_filter(stored: str) -> str:
    """`{{ certification.end_reason|reason_text }}`: the stored English reason, in the reader's language."""
    return reason_text(stored)
