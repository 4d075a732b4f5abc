"""Money for people: integer minor units shown in major units, with the locale's separators and the currency.

Amounts are stored and exported as integer minor units (the manifest, CSV and JSON exports keep them); pages
show `¥500,000.00`. Digits per currency follow ISO 4217; separators are the active
language's (CLDR: both English and Chinese write ¥500,000.00; Django's zh_Hans number format groups by
nothing, which is right for counts but not for money).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import numberformat
from django.utils.translation import get_language

# ISO 4217 code → (symbol, minor-unit digits). Codes not listed are shown as "1,234.56 XYZ" with 2 digits.
CURRENCIES: dict[str, tuple[str, int]] = {
    "CNY": ("¥", 2),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "HKD": ("HK$", 2),
    "JPY": ("JP¥", 0),
    "KRW": ("₩", 0),
}

# Language → (decimal separator, group separator, group size), from CLDR's currency patterns.
SEPARATORS: dict[str, tuple[str, str, int]] = {"en": (".", ",", 3), "zh-hans": (".", ",", 3)}


def minor_unit_digits(currency: str) -> int:
    return CURRENCIES.get(currency.upper(), ("", 2))[1]


def format_money(minor_units: int, currency: str) -> str:
    """`format_money(50_000_000, "CNY")` → "¥500,000.00" (in the active language's number format)."""
    code = (currency or "").upper()
    symbol, digits = CURRENCIES.get(code, ("", 2))
    major = Decimal(int(minor_units)).scaleb(-digits)
    sign = "-" if major < 0 else ""
    decimal_sep, group_sep, grouping = SEPARATORS.get((get_language() or "en").lower(), SEPARATORS["en"])
    text = numberformat.format(
        abs(major), decimal_sep, decimal_pos=digits, grouping=grouping, thousand_sep=group_sep, force_grouping=True
    )
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def parse_major(text: str, currency: str) -> int:
    """What a person types ("500000", "500,000.00", "¥500,000.5") → integer minor units of `currency`.

    Raises ValueError when it is not a positive amount or has more decimals than the currency has.
    """
    digits = minor_unit_digits(currency)
    cleaned = (text or "").strip()
    for symbol, _ in CURRENCIES.values():
        cleaned = cleaned.removeprefix(symbol)
    cleaned = cleaned.replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        amount = Decimal(cleaned)
    except ArithmeticError as error:
        raise ValueError(f"not an amount: {text!r}") from error
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"not a positive amount: {text!r}")
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"more than {digits} decimals: {text!r}")
    return int(minor)
