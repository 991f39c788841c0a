"""Orders: what the customer bought. Made only by flows — accepting a quote, or a won deal
(the closed-won flow calls ``create_order_from_deal`` inside the stage-change transaction)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.filtering import ListQuery
from nexa.core.sequence import next_value
from nexa.models import Deal, Order, OrderLineItem, Quote
from nexa.order.events import ORDER_EVENTS
from nexa.order.repository import OrderRepository
from nexa.product.lines import copy_lines, line_money, totals_of
from nexa.product.service import product_tax_rates
from nexa.quote.deals import deal_lines, readable_deal
from nexa.record.events import RecordPayload
from nexa.record.service import RecordService

LINES_CACHE = "_nexa_lines"
TRANSITIONS = {
    "draft": {"confirmed", "cancelled"},
    "confirmed": {"fulfilled", "cancelled"},
    "fulfilled": set(),
    "cancelled": set(),
}


def order_payload(order: Order) -> dict[str, Any]:
    also_on = [
        [kind, str(rid)]
        for kind, rid in (("deal", order.deal_id), ("account", order.account_id))
        if rid
    ]
    return {
        "name": order.number,
        "number": order.number,
        "status": order.status,
        "total": str(order.total),
        "currency": order.currency,
        "also_on": also_on,
    }


class OrderService(RecordService[Order]):
    events = ORDER_EVENTS
    model = Order
    repository = OrderRepository
    label = "order"
    not_empty = ("status",)
    repo: OrderRepository

    def payload(self, record: Order) -> dict[str, Any]:
        return order_payload(record)

    def create(self, data: BaseModel, **extra: Any) -> Order:
        raise Conflict("orders are made from an accepted quote or a won deal")

    def prepare(self, values: dict[str, Any], record: Order | None) -> dict[str, Any]:
        new = values.get("status")
        moving = record is not None and new is not None and new != record.status
        if moving and record is not None and new not in TRANSITIONS.get(record.status, set()):
            raise Conflict(
                f"an order cannot go from {record.status} to {values['status']}",
                field="status",
            )
        return values

    def list(self, query: ListQuery) -> tuple[list[Order], str | None]:
        rows, next_cursor = super().list(query)
        lines = self.repo.lines_of(r.id for r in rows)
        for row in rows:
            row.__dict__[LINES_CACHE] = lines[row.id]
        return rows, next_cursor


def order_lines(session: Session, order: Order) -> list[OrderLineItem]:
    cached = order.__dict__.pop(LINES_CACHE, None)
    if cached is not None:
        return list(cached)
    return OrderRepository(session).lines_of([order.id])[order.id]


def _check_can_create(actor: Actor) -> None:
    if not actor.can("order:create"):
        raise PermissionDenied("you may not create order records")


def _new_order(session: Session, actor: Actor, lines: list[Any], **values: Any) -> Order:
    order = Order(
        id=uuid.uuid4(),
        number=f"O-{next_value(session, 'order'):06d}",
        status="confirmed",
        order_date=utcnow().date(),
        **values,
    )
    copies = copy_lines(lines, OrderLineItem, product_tax_rates(session, lines), order_id=order.id)
    for column, value in totals_of(copies).as_columns().items():
        setattr(order, column, value)
    session.add(order)
    session.flush()
    session.add_all(copies)
    session.flush()
    publish(
        session,
        actor,
        "order.created",
        record_type="order",
        record_id=order.id,
        payload=RecordPayload.of(order_payload(order)),
    )
    return order


def create_order_from_deal(session: Session, actor: Actor, deal: Deal) -> Order:
    """The deal's order: the existing live, non-cancelled one (e.g. made from its accepted
    quote) or a new one copying the deal's line items (or one line worth the deal's amount)."""
    return order_for_deal(session, actor, deal)[0]


def deal_has_order(session: Session, deal_id: uuid.UUID) -> bool:
    """Whether the deal has a live, non-cancelled order (system view)."""
    return OrderRepository(session).live_order_of_deal(deal_id) is not None


def order_for_deal(session: Session, actor: Actor, deal: Deal) -> tuple[Order, bool]:
    repo = OrderRepository(session)
    existing = repo.live_order_of_deal(deal.id)
    if existing is not None:
        return existing, False
    _check_can_create(actor)
    lines: list[Any] = deal_lines(session, deal.id)
    if not lines:
        amount = deal.amount if deal.amount is not None else Decimal(0)
        lines = [
            OrderLineItem(
                name=deal.name,
                quantity=Decimal(1),
                unit_price=amount,
                discount_percent=Decimal(0),
                is_recurring=False,
                total=line_money(Decimal(1), amount, None, None).net,
            )
        ]
    order = _new_order(
        session,
        actor,
        lines,
        deal_id=deal.id,
        account_id=deal.account_id,
        contact_id=deal.primary_contact_id,
        currency=deal.currency,
        owner_id=deal.owner_id,
    )
    return order, True


def order_from_deal(session: Session, actor: Actor, deal_id: uuid.UUID) -> tuple[Order, bool]:
    """POST /orders/from-deal/{id}: only a won deal the actor can read makes an order."""
    deal = readable_deal(session, actor, deal_id)
    if deal.stage_kind != "won":
        raise Conflict("only a won deal becomes an order", field="deal_id")
    return order_for_deal(session, actor, deal)


def create_order_from_quote(session: Session, actor: Actor, quote: Quote) -> Order:
    """The order of an accepted quote (one per quote), copying its lines and parties."""
    repo = OrderRepository(session)
    existing = repo.order_of_quote(quote.id)
    if existing is not None:
        return existing
    if quote.status != "accepted":
        raise Conflict("only an accepted quote becomes an order", field="status")
    _check_can_create(actor)
    lines = repo.quote_lines(quote.id)
    if not lines:
        raise ValidationFailed("the quote has no line items", field="line_items")
    return _new_order(
        session,
        actor,
        lines,
        deal_id=quote.deal_id,
        quote_id=quote.id,
        account_id=quote.account_id,
        contact_id=quote.contact_id,
        currency=quote.currency,
        owner_id=quote.owner_id,
        notes=f"From quote {quote.number} (revision {quote.revision})",
    )
