from django import template

from accounts.money import format_money

register = template.Library()


@register.filter(name="money")
def money(minor_units: int | None, currency: str) -> str:
    """`{{ quarter.pool_minor_units|money:quarter.currency }}` → "¥500,000.00"; None stays "—"."""
    if minor_units is None or minor_units == "":
        return "—"
    return format_money(int(minor_units), str(currency))
