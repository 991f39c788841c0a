"""Products (the price book) for tests, created through the service."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.models import Product
from nexa.product.schemas import PriceIn, ProductCreate
from nexa.product.service import ProductService


def make_product(
    db: Any,
    actor: Actor | None = None,
    *,
    prices: dict[str, str] | None = None,
    **fields: Any,
) -> Product:
    fields.setdefault("name", f"Product {uuid.uuid4().hex[:8]}")
    fields.setdefault("sku", f"SKU-{uuid.uuid4().hex[:10]}")
    price_list = prices if prices is not None else {"USD": "100.00"}
    fields["prices"] = [PriceIn(currency=c, unit_price=Decimal(p)) for c, p in price_list.items()]
    return ProductService(db, actor or SYSTEM).create(ProductCreate(**fields))
