"""Quotes for tests, created through the service (so numbering, events and totals run)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.models import Quote
from nexa.quote.schemas import LineItemIn, QuoteCreate
from nexa.quote.service import QuoteService


def make_quote(
    db: Any,
    actor: Actor | None = None,
    *,
    owner_id: uuid.UUID | None = None,
    lines: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Quote:
    fields.setdefault("name", f"Quote {uuid.uuid4().hex[:8]}")
    fields.setdefault("currency", "USD")
    if owner_id is not None:
        fields["owner_id"] = owner_id
    items = lines if lines is not None else [{"name": "Service", "unit_price": Decimal("100")}]
    fields["line_items"] = [LineItemIn(**line) for line in items]
    return QuoteService(db, actor or SYSTEM).create(QuoteCreate(**fields))
