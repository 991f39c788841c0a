"""Products (the price book): unowned, read by everyone, maintained by product:write."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.db import utcnow
from nexa.core.errors import NotFound
from nexa.core.filtering import ListQuery
from nexa.models import Product, ProductPrice
from nexa.product.events import PRODUCT_EVENTS
from nexa.product.repository import ProductRepository
from nexa.record.service import RecordService, Unique

PRICES_CACHE = "_nexa_prices"


class ProductService(RecordService[Product]):
    events = PRODUCT_EVENTS
    model = Product
    repository = ProductRepository
    label = "product"
    default_sort = "name"
    owned = False
    custom_fields = True
    not_empty = ("name", "sku", "billing_period", "active")
    unique = (Unique("sku", "uq_products_sku_live", "product"),)
    computed = ("prices",)
    repo: ProductRepository

    def payload(self, record: Product) -> dict[str, Any]:
        return {"name": record.name, "sku": record.sku}

    def create(self, data: BaseModel, **extra: Any) -> Product:
        record = super().create(data, **extra)
        prices = getattr(data, "prices", None)
        if prices:
            self._write_prices(record, prices)
        return record

    def update(
        self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None
    ) -> Product:
        record = super().update(record_id, data, if_match=if_match)
        prices = getattr(data, "prices", None)
        if "prices" in data.model_fields_set:
            before = self.prices_for_output(self.session, record)
            after = {p.currency: p.unit_price for p in prices or []}
            if {p.currency: p.unit_price for p in before} != after:
                self._write_prices(record, prices or [])
                record.updated_at = utcnow()  # the price book changed: a new version
                self.flush(record)
                self.publish(
                    "updated",
                    record,
                    {
                        "prices": (
                            {p.currency: str(p.unit_price) for p in before},
                            {c: str(v) for c, v in after.items()},
                        )
                    },
                )
        return record

    def _write_prices(self, record: Product, prices: list[Any]) -> None:
        self.repo.replace_prices(record.id, [(p.currency, p.unit_price) for p in prices])

    @staticmethod
    def prices_for_output(session: Session, record: Product) -> list[ProductPrice]:
        """The product's prices: those the list loaded for the whole page, else one query."""
        cached = record.__dict__.pop(PRICES_CACHE, None)
        if cached is not None:
            return list(cached)
        return ProductRepository(session).prices_of([record.id])[record.id]

    def list(self, query: ListQuery) -> tuple[list[Product], str | None]:
        """A page of products with their prices loaded in one query for the whole page."""
        rows, next_cursor = super().list(query)
        prices = self.repo.prices_of(r.id for r in rows)
        for row in rows:
            row.__dict__[PRICES_CACHE] = prices[row.id]
        return rows, next_cursor

    def price(self, record_id: uuid.UUID, currency: str) -> tuple[Product, Decimal]:
        product = self.get(record_id)
        found = self.repo.price_in([product.id], currency).get(product.id)
        if found is None:
            raise NotFound(f"product {product.sku} has no price in {currency}")
        return product, found


def product_prices(
    session: Session, product_ids: list[uuid.UUID], currency: str
) -> dict[uuid.UUID, Decimal]:
    """Unit prices in ``currency`` of several products (one query)."""
    return ProductRepository(session).price_in(product_ids, currency)


def live_products(session: Session, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, Product]:
    """Live products by id (one query; the price book is public to every reader)."""
    ids = [i for i in set(product_ids) if i is not None]
    if not ids:
        return {}
    return {p.id: p for p in ProductRepository(session).live_by_ids(ids)}


def product_tax_rates(session: Session, lines: list[Any]) -> dict[uuid.UUID, Decimal | None]:
    products = live_products(session, [ln.product_id for ln in lines if ln.product_id])
    return {pid: p.tax_rate for pid, p in products.items()}
