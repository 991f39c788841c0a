from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, validates

from nexa.core.db import (
    Base,
    JSONType,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.text import text_key

BILLING_PERIODS = ("one_time", "monthly", "annual")


class Product(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """An item of the price book; everyone reads products (org-wide public read)."""

    __tablename__ = "products"
    __table_args__ = (
        Index(
            "uq_products_sku_live",
            "sku_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND sku_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND sku_key IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sku: Mapped[str] = mapped_column(String(60), nullable=False)
    sku_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    family: Mapped[str | None] = mapped_column(String(100), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(30), nullable=True)
    billing_period: Mapped[str] = mapped_column(String(20), nullable=False, default="one_time")
    tax_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 3), nullable=True)  # percent
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    @validates("sku")
    def _keep_sku_key(self, _: str, value: str | None) -> str | None:
        """``sku_key`` follows ``sku`` (nexa.core.text: what uniqueness compares)."""
        self.sku_key = text_key(value)
        return value


class ProductPrice(UUIDPkMixin, Base):
    """The price book: one unit price per product and currency."""

    __tablename__ = "product_prices"
    __table_args__ = (Index("uq_product_prices_currency", "product_id", "currency", unique=True),)

    product_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)


class LineItemMixin(UUIDPkMixin):
    """What is being sold: a product (or a free line) with quantity, price and discount.
    ``total = quantity × unit_price × (1 − discount_percent/100)``; recurring lines also carry
    their monthly value (MRR) and term in months."""

    product_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("products.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3), nullable=False, default=0)
    tax_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 3), nullable=True)
    is_recurring: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    mrr: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    term_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False)


class DealLineItem(LineItemMixin, Base):
    __tablename__ = "deal_line_items"

    @declared_attr
    def deal_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("deals.id", ondelete="CASCADE"), nullable=False, index=True
        )
