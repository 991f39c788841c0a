"""Money as people read it and as reports round it (amounts are Decimal; the currency
travels beside them)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def money(value: Any, currency: str | None = None, *, places: int = 0, missing: str = "—") -> str:
    """``1234.5`` → ``"1,235"`` (``places`` decimals, thousands separated, ``currency``
    after); ``missing`` for None; a value that is not a number is shown as it is."""
    if value is None:
        return missing
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.{places}f}"
    return f"{text} {currency}" if currency else text


def to_cents(value: float | Decimal) -> Decimal:
    """Rounded half up to the cent."""
    return Decimal(str(round(value, 2))).quantize(CENT, rounding=ROUND_HALF_UP)
