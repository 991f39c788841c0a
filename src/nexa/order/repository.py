"""All of the orders' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.models import Order, OrderLineItem, QuoteLineItem
from nexa.models.quote import ORDER_STATUSES

KINDS = {
    "id": "uuid",
    "number": "str",
    "status": "enum",
    "deal_id": "uuid",
    "quote_id": "uuid",
    "account_id": "uuid",
    "contact_id": "uuid",
    "order_date": "date",
    "currency": "str",
    "total": "decimal",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"number", "order_date", "total", "created_at", "updated_at"}
CHOICES: dict[str, tuple[str, ...]] = {"status": ORDER_STATUSES}


class OrderRepository(Repository[Order]):
    model = Order
    object_name = "order"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(Order, KINDS, SORTABLE, CHOICES)

    def lines_of(self, order_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[OrderLineItem]]:
        """The line items of many orders in ONE query, by order id."""
        ids = list(order_ids)
        found: dict[uuid.UUID, list[OrderLineItem]] = {i: [] for i in ids}
        if ids:
            stmt = (
                select(OrderLineItem)
                .where(OrderLineItem.order_id.in_(ids))
                .order_by(OrderLineItem.order_id, OrderLineItem.position)
            )
            for row in self.session.scalars(stmt):
                found[row.order_id].append(row)
        return found

    def live_order_of_deal(self, deal_id: uuid.UUID) -> Order | None:
        """The deal's live, non-cancelled order (system view: idempotency sees every order)."""
        stmt = (
            select(Order)
            .where(
                Order.deal_id == deal_id,
                Order.status != "cancelled",
                Order.deleted_at.is_(None),
            )
            .order_by(Order.created_at)
        )
        return self.session.scalars(unscoped(stmt)).first()

    def order_of_quote(self, quote_id: uuid.UUID) -> Order | None:
        stmt = select(Order).where(Order.quote_id == quote_id)
        return self.session.scalars(unscoped(stmt)).first()

    def quote_lines(self, quote_id: uuid.UUID) -> list[QuoteLineItem]:
        """An accepted quote's line items, in order (copied into its order)."""
        stmt = (
            select(QuoteLineItem)
            .where(QuoteLineItem.quote_id == quote_id)
            .order_by(QuoteLineItem.position)
        )
        return list(self.session.scalars(stmt))
