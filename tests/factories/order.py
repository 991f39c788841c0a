"""Deals inserted directly (the columns an order or a quote needs) and orders made by flows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.models import Deal, DealLineItem, Order, Pipeline, PipelineStage
from nexa.order.service import create_order_from_deal


def insert_deal(
    db: Any,
    *,
    owner_id: uuid.UUID | None,
    stage: str = "proposal",
    lines: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Deal:
    """A deal row in the seeded default pipeline "Sales" at ``stage`` (by key)."""
    pipeline_id = db.scalars(select(Pipeline.id).where(Pipeline.name == "Sales")).one()
    row = db.scalars(
        select(PipelineStage).where(
            PipelineStage.pipeline_id == pipeline_id, PipelineStage.key == stage
        )
    ).one()
    fields.setdefault("name", f"Deal {uuid.uuid4().hex[:8]}")
    fields.setdefault("currency", "USD")
    fields.setdefault("amount", Decimal("1000.00"))
    deal = Deal(
        id=uuid.uuid4(),
        pipeline_id=pipeline_id,
        stage_id=row.id,
        stage=row.key,
        stage_kind=row.kind,
        probability=row.probability,
        stage_entered_at=utcnow(),
        owner_id=owner_id,
        **fields,
    )
    db.add(deal)
    db.flush()
    for position, line in enumerate(lines or []):
        quantity = Decimal(str(line.get("quantity", "1")))
        price = Decimal(str(line["unit_price"]))
        discount = Decimal(str(line.get("discount_percent", "0")))
        db.add(
            DealLineItem(
                id=uuid.uuid4(),
                deal_id=deal.id,
                position=position,
                name=line.get("name", f"Line {position + 1}"),
                product_id=line.get("product_id"),
                quantity=quantity,
                unit_price=price,
                discount_percent=discount,
                tax_rate=line.get("tax_rate"),
                is_recurring=line.get("is_recurring", False),
                total=(quantity * price * (100 - discount) / 100).quantize(Decimal("0.01")),
            )
        )
    db.flush()
    return deal


def make_order(db: Any, actor: Actor | None = None, *, owner_id: uuid.UUID | None = None) -> Order:
    """An order of a won deal owned by ``owner_id``."""
    deal = insert_deal(db, owner_id=owner_id, stage="closed_won")
    return create_order_from_deal(db, actor or SYSTEM, deal)
