"""Amounts as whole minor units (øre, cents): the only arithmetic vouchers do.

A voucher must sum to zero exactly; Decimal with two places would too, but integer minor
units make "exactly" impossible to get wrong, and a value with more decimals than the
currency has is refused instead of rounded, because rounding would invent money.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MINOR_PER_MAJOR = 100
"""NOK, EUR, SEK, DKK, USD, GBP all have two decimals; a currency with another number of
decimals (JPY, KWD) would need its own table, which no customer has asked for yet."""


class AmountError(ValueError):
    """An amount that cannot be booked as it is."""


def to_minor(amount: Decimal | int | str) -> int:
    """``Decimal('1234.50')`` → ``123450``; more than two decimals is an error, not rounding."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise AmountError(f"'{amount}' is not an amount.") from None
    if not value.is_finite():
        raise AmountError(f"'{amount}' is not an amount.")
    scaled = value * MINOR_PER_MAJOR
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{value} has more than two decimals.")
    return int(scaled)


def to_major(minor: int) -> Decimal:
    """``123450`` → ``Decimal('1234.50')``, always with two decimals."""
    return (Decimal(minor) / MINOR_PER_MAJOR).quantize(Decimal("0.01"))
