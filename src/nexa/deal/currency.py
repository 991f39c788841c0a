"""Money on deals: the organization's currency, exchange rates, and a deal's amount in the
organization's currency with its weighted value."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.money import ISO_4217, check_total
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import ExchangeRateIn
from nexa.models import ExchangeRate

CENT = Decimal("0.01")


def org_currency() -> str:
    return get_settings().org_currency.upper()


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def require_settings_writer(actor: Actor, what: str) -> None:
    if not actor.can("settings:write"):
        raise PermissionDenied(f"only admins change {what}")


def money_values(
    session: Session, amount: Decimal | None, currency: str, probability: int
) -> dict[str, Any]:
    if amount is None:
        return {"amount_org": None, "weighted_value": None}
    amount_org = cents(amount * rate_to_org(session, currency))
    check_total(
        amount_org, "amount", f"the amount in the organization's currency ({org_currency()})"
    )
    return {"amount_org": amount_org, "weighted_value": cents(amount_org * probability / 100)}


def rate_to_org(session: Session, currency: str) -> Decimal:
    """Units of the org currency one unit of ``currency`` is worth; 422 naming ``currency``
    when no rate is set."""
    org = org_currency()
    if currency == org:
        return Decimal(1)
    rate = DealRepository(session).rate(currency)
    if rate is None:
        raise ValidationFailed(
            f"no exchange rate from {currency} to {org}; an admin sets it under exchange rates",
            field="currency",
        )
    return Decimal(rate)


def list_exchange_rates(session: Session, actor: Actor) -> list[ExchangeRate]:
    return DealRepository(session).rates()


def set_exchange_rate(
    session: Session, actor: Actor, currency: str, data: ExchangeRateIn
) -> ExchangeRate:
    """Set a rate and revalue the open deals in that currency (one UPDATE)."""
    require_settings_writer(actor, "exchange rates")
    currency = currency.upper()
    if currency not in ISO_4217:
        raise ValidationFailed(f"{currency[:8]} is not an ISO 4217 currency code", field="currency")
    if currency == org_currency():
        raise ValidationFailed(
            f"{currency} is the organization's currency; its rate is always 1", field="currency"
        )
    row = session.get(ExchangeRate, currency)
    if row is None:
        row = ExchangeRate(currency=currency, rate=data.rate, updated_at=utcnow())
        session.add(row)
    else:
        row.rate = data.rate
        row.updated_at = utcnow()
    repo = DealRepository(session)
    largest = repo.largest_open_amount(currency)
    if largest is not None:
        check_total(
            cents(largest * data.rate),
            "rate",
            f"an open deal's amount in {org_currency()} at this rate",
        )
    session.flush()
    repo.revalue_open_deals(currency, data.rate)
    return row
