"""All of the products' SQL (the price book)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import delete, select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository
from nexa.metadata import service as metadata
from nexa.models import Product, ProductPrice
from nexa.models.product import BILLING_PERIODS

KINDS = {
    "id": "uuid",
    "name": "str",
    "sku": "str",
    "family": "str",
    "unit": "str",
    "billing_period": "enum",
    "tax_rate": "decimal",
    "active": "bool",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"name", "sku", "family", "created_at", "updated_at"}
CHOICES: dict[str, tuple[str, ...]] = {"billing_period": BILLING_PERIODS}


class ProductRepository(Repository[Product]):
    model = Product
    object_name = "product"

    def fields(self) -> dict[str, FieldSpec]:
        specs = model_fields(Product, KINDS, SORTABLE, CHOICES)
        specs.update(metadata.filter_specs(self.session, "product", Product.custom_fields))
        return specs

    def prices_of(self, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[ProductPrice]]:
        """The price rows of many products, in ONE query, by product id."""
        ids = list(product_ids)
        found: dict[uuid.UUID, list[ProductPrice]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = self.session.scalars(
            select(ProductPrice)
            .where(ProductPrice.product_id.in_(ids))
            .order_by(ProductPrice.product_id, ProductPrice.currency)
        )
        for row in rows:
            found[row.product_id].append(row)
        return found

    def price_in(self, product_ids: Iterable[uuid.UUID], currency: str) -> dict[uuid.UUID, Decimal]:
        ids = list(product_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(ProductPrice.product_id, ProductPrice.unit_price).where(
                ProductPrice.product_id.in_(ids), ProductPrice.currency == currency
            )
        )
        return {pid: price for pid, price in rows}

    def replace_prices(self, product_id: uuid.UUID, prices: list[tuple[str, Decimal]]) -> None:
        self.session.execute(delete(ProductPrice).where(ProductPrice.product_id == product_id))
        for currency, unit_price in prices:
            self.session.add(
                ProductPrice(
                    id=uuid.uuid4(), product_id=product_id, currency=currency, unit_price=unit_price
                )
            )
        self.session.flush()

    def live_by_ids(self, product_ids: Iterable[uuid.UUID]) -> list[Product]:
        """Live products among ``product_ids`` (the price book is public to every reader)."""
        stmt = select(Product).where(
            Product.id.in_(list(product_ids)), Product.deleted_at.is_(None)
        )
        return list(self.session.scalars(stmt))
