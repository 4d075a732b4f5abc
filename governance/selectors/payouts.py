"""Payout exports of a frozen quarter, read from its sealed manifest (never from rows that could differ from it).

- GitHub Sponsors bulk sponsorship: the two columns GitHub's import reads, "Maintainer username" and
  "Sponsorship amount in USD", in whole US dollars (its template's example is "100 or $100"), converted with the
  exchange rate the manifest records when the pool is not in USD and rounded down; what rounding leaves is listed.
- An Open Collective-style expense CSV: one expense per model, payee, description, amount and currency.
- Every model without a payout identity, or whose amount rounds to less than one dollar, is listed as blocked
  with the reason, in both exports' companion list; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from accounts.errors import WrongState
from governance.models import Quarter

# ISO 4217 minor-unit exponents that are not 2 (the rest of the world's currencies have cents).
_EXPONENTS = {
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
}


@dataclass(frozen=True)
class Payout:
    model: str
    version: str
    owners: str
    github: str | None
    amount_minor_units: int
    usd_whole_dollars: int | None
    blocked_reason: str


def _usd_rate(quarter: Quarter, manifest: dict[str, object]) -> Decimal:
    if quarter.currency == "USD":
        return Decimal(1)
    rate = manifest.get("usd_exchange_rate")
    if not isinstance(rate, str):
        raise WrongState(
            _("Quarter %(label)s was sealed without a US-dollar exchange rate, so it cannot be paid through GitHub Sponsors.")
            % {"label": quarter.label},
            code="no_exchange_rate",
        )
    return Decimal(rate)


def quarter_payouts(quarter: Quarter, *, usd: bool) -> list[Payout]:
    """One row per eligible model of a frozen quarter, from its manifest. Raises WrongState (409) on an open quarter."""
    manifest = quarter.manifest
    if not quarter.frozen or not isinstance(manifest, dict):
        raise WrongState(_("Only a frozen quarter is paid out."), code="not_frozen")
    rate = _usd_rate(quarter, manifest) if usd else None
    unit = Decimal(10) ** _EXPONENTS.get(quarter.currency, 2)
    allocations = manifest.get("allocations")
    models = manifest.get("models")
    assert isinstance(allocations, dict) and isinstance(models, dict)
    payouts = []
    for slug, amount in sorted(allocations.items()):
        record = models.get(slug) or {}
        identity = record.get("payout_identity") or {}
        github = identity.get("github") if isinstance(identity, dict) else None
        dollars = None if rate is None else int((Decimal(amount) / unit * rate).to_integral_value(rounding=ROUND_DOWN))
        reason = ""
        if not github:
            reason = _("no linked GitHub account for the model's owners (the payout identity)")
        elif dollars is not None and dollars < 1:
            reason = _("less than one US dollar after conversion")
        payouts.append(
            Payout(
                model=slug,
                version=str(record.get("version", "")),
                owners=" ".join(record.get("owners") or []),
                github=github,
                amount_minor_units=int(amount),
                usd_whole_dollars=dollars,
                blocked_reason=reason,
            )
        )
    return payouts


def minor_units_text(amount: int, currency: str) -> str:
    """Minor units as a decimal amount in the currency's major unit (1234 CNY → "12.34")."""
    exponent = _EXPONENTS.get(currency, 2)
    return f"{Decimal(amount) / (Decimal(10) ** exponent):.{exponent}f}"
