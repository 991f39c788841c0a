"""Order flows that span domains: accepting a quote makes its order.

Orders know quotes (an order copies an accepted quote's lines); quotes do not know orders,
so the step that does both lives here rather than in the quote service."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.models import Order, Quote
from nexa.order.service import create_order_from_quote
from nexa.quote.service import QuoteService


def accept_quote(session: Session, actor: Actor, quote_id: uuid.UUID) -> tuple[Quote, Order]:
    """Accept a sent quote and make its order, in the caller's transaction (all or nothing)."""
    quote = QuoteService(session, actor).accept(quote_id)
    return quote, create_order_from_quote(session, actor, quote)
