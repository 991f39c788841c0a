"""A deal's line items (products or free lines); while a deal has any, its amount and
monthly recurring value are their sums."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.money import check_total
from nexa.core.records import apply_changes
from nexa.deal.currency import cents, money_values
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import LineItemCreate, LineItemUpdate
from nexa.deal.service import DealService
from nexa.models import Deal, DealLineItem


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """The line's net; a 422 naming ``unit_price`` past ``MAX_TOTAL`` (the columns are
    NUMERIC(18, 2): an overflow was a 500 on PostgreSQL)."""
    gross = check_total(cents(quantity * unit_price), "unit_price", "quantity × unit price")
    return cents(gross * (1 - discount_percent / 100))


def list_line_items(session: Session, actor: Actor, deal_id: uuid.UUID) -> list[DealLineItem]:
    repo = DealRepository(session)
    deal = repo.get(actor, deal_id)
    return repo.line_items(deal.id)


def _recompute_from_lines(session: Session, actor: Actor, deal: Deal) -> None:
    repo = DealRepository(session)
    count, total, mrr = repo.line_totals(deal.id)
    if count == 0:
        return
    check_total(cents(total), "amount", "the deal's amount (the sum of its line items)")
    check_total(cents(mrr), "amount", "the deal's monthly recurring total")
    values: dict[str, Any] = {"amount": cents(total), "total_mrr": cents(mrr)}
    values.update(money_values(session, values["amount"], deal.currency, deal.probability))
    changes = apply_changes(deal, values)
    if changes:
        session.flush()
        service = DealService(session, actor)
        service.publish("updated", deal, changes)


def _product_defaults(session: Session, deal: Deal, data: LineItemCreate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.product_id is None:
        if data.name is None:
            raise ValidationFailed("name a product or give the line a name", field="name")
        if data.unit_price is None:
            raise ValidationFailed("give a unit price", field="unit_price")
        return values
    repo = DealRepository(session)
    product = repo.product(data.product_id)
    if product is None:
        raise ValidationFailed("no product with this id", field="product_id")
    values["name"] = product.name
    values["tax_rate"] = product.tax_rate
    values["is_recurring"] = product.billing_period != "one_time"
    if data.unit_price is None:
        price = repo.product_price(product.id, deal.currency)
        if price is None:
            raise ValidationFailed(
                f"the product has no price in {deal.currency}; give a unit price",
                field="unit_price",
            )
        values["unit_price"] = price
    values["_billing_period"] = product.billing_period
    return values


def add_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, data: LineItemCreate
) -> DealLineItem:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    defaults = _product_defaults(session, deal, data)
    billing = defaults.pop("_billing_period", None)
    given = data.model_dump(exclude_unset=True)
    values = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    values.setdefault("discount_percent", Decimal(0))
    values.setdefault("is_recurring", False)
    values.setdefault("quantity", Decimal(1))
    if "position" not in values:
        values["position"] = len(repo.line_items(deal.id))
    total = line_total(values["quantity"], values["unit_price"], values["discount_percent"])
    if values["is_recurring"] and values.get("mrr") is None:
        values["mrr"] = cents(total / 12) if billing == "annual" else total
    item = DealLineItem(id=uuid.uuid4(), deal_id=deal.id, total=total, **values)
    session.add(item)
    session.flush()
    _recompute_from_lines(session, actor, deal)
    return item


def _item(repo: DealRepository, deal: Deal, item_id: uuid.UUID) -> DealLineItem:
    item = repo.line_item(deal.id, item_id)
    if item is None:
        raise NotFound(f"line item {item_id} not found")
    return item


def update_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, item_id: uuid.UUID, data: LineItemUpdate
) -> DealLineItem:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    item = _item(repo, deal, item_id)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "quantity", "unit_price", "discount_percent", "is_recurring", "position"):
        if key in values and values[key] is None:
            raise ValidationFailed(f"{key} cannot be empty", field=key)
    apply_changes(item, values)
    item.total = line_total(item.quantity, item.unit_price, item.discount_percent)
    if "mrr" not in values:  # not given: the monthly value follows the line, as on create
        if item.is_recurring:
            product = repo.product(item.product_id) if item.product_id else None
            annual = product is not None and product.billing_period == "annual"
            item.mrr = cents(item.total / 12) if annual else item.total
        else:
            item.mrr = None
    session.flush()
    _recompute_from_lines(session, actor, deal)
    return item


def delete_line_item(
    session: Session, actor: Actor, deal_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    repo = DealRepository(session)
    deal = repo.get_for(actor, deal_id, "write")
    item = _item(repo, deal, item_id)
    session.delete(item)
    session.flush()
    _recompute_from_lines(session, actor, deal)
