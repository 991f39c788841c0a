"""Deals for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.deal.currency import set_exchange_rate
from nexa.deal.schemas import DealCreate, ExchangeRateIn
from nexa.deal.service import DealService
from nexa.models import Deal


def make_deal(
    db: Any, actor: Actor | None = None, *, owner_id: uuid.UUID | None = None, **fields: Any
) -> Deal:
    fields.setdefault("name", f"Deal {uuid.uuid4().hex[:10]}")
    fields.setdefault("amount", Decimal("1000"))
    if owner_id is not None:
        fields["owner_id"] = owner_id
    return DealService(db, actor or SYSTEM).create(DealCreate(**fields))


def set_rate(db: Any, currency: str, rate: str) -> None:
    set_exchange_rate(db, SYSTEM, currency, ExchangeRateIn(rate=Decimal(rate)))
