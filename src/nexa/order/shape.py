"""What of an order leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.models import Order
from nexa.order import service
from nexa.order.schemas import OrderOut, order_out
from nexa.record.shapes import Shaper, register


def _one(session: Session, order: Order) -> OrderOut:
    return order_out(order, service.order_lines(session, order))


ORDERS = register(Shaper("order", OrderOut, to_out=_one))
