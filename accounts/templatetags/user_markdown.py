from django import template
from django.utils.safestring import SafeString, mark_safe

from accounts.user_markdown import render_user_markdown

register = template.Library()


@register.filter(name="user_markdown")
def user_markdown(text: str) -> SafeString:
    """`{{ audit.summary|user_markdown }}` — the text rendered safely (see accounts/user_markdown.py)."""
    return mark_safe(render_user_markdown(text))  # noqa: S308 - sanitised by nh3 above
