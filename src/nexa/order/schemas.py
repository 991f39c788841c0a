from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel
from nexa.models import Order
from nexa.quote.schemas import LineItemOut, QuoteOut

OrderStatus = Literal["draft", "confirmed", "fulfilled", "cancelled"]


class OrderCreate(InputModel):
    """Orders are made by flows (an accepted quote, a won deal), never from a bare body."""


class OrderUpdate(InputModel):
    status: OrderStatus | None = Field(
        None, description="draft → confirmed → fulfilled; draft/confirmed → cancelled"
    )
    notes: str | None = Field(None, max_length=20_000)
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs order:reassign")


class OrderOut(OutputModel):
    id: uuid.UUID
    number: str
    status: str
    deal_id: uuid.UUID | None = None
    quote_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    order_date: date
    notes: str | None = None
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    total_mrr: Decimal | None = None
    line_items: list[LineItemOut] = Field(default_factory=list)
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class AcceptOut(QuoteOut):
    order: OrderOut  # an accepted quote with the order it made


def order_out(order: Order, lines: list[Any]) -> OrderOut:
    """The API shape of an order and its line items."""
    data = {c.key: getattr(order, c.key) for c in Order.__mapper__.column_attrs}
    data["line_items"] = [LineItemOut.model_validate(li) for li in lines]
    return OrderOut.model_validate(data)
