"""Money and phone numbers as people read them: ``$75,000.00`` (the currency's symbol, its
grouping), ``(415) 555-0142`` for a number of the organization's own country
(``NEXA_DEFAULT_REGION``), ``+44 20 7946 0990`` for any other. Display only: what is stored
and what the API answers stay E.164 and Decimal plus an ISO 4217 code."""

from __future__ import annotations

from typing import Any

import phonenumbers

from nexa.config import get_settings
from nexa.core.money import money as core_money


def money(value: Any, currency: str | None = None, places: int = 0) -> str:
    """``75000, "USD"`` → ``$75,000`` (``places=2``: ``$75,000.00``); a ``{"amount",
    "currency"}`` value too; the symbols are ``nexa.core.money``'s."""
    if isinstance(value, dict) and "amount" in value:
        return money(value.get("amount"), value.get("currency") or currency, places)
    if value == "":
        return "—"
    return core_money(value, currency, places=places)


def phone(value: Any, region: str | None = None) -> str:
    """An E.164 number in the organization's national format when it is of its country,
    else in international format; anything that does not parse is shown as it is."""
    if value is None or value == "":
        return "—"
    text = str(value)
    home = (region or get_settings().default_region or "US").upper()
    try:
        number = phonenumbers.parse(text, home)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    national = phonenumbers.region_code_for_number(number) == home
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
