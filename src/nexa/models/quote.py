from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from nexa.core.db import (
    Base,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.models.product import LineItemMixin

QUOTE_STATUSES = ("draft", "sent", "accepted", "declined", "expired", "superseded")
ORDER_STATUSES = ("draft", "confirmed", "fulfilled", "cancelled")


class TotalsMixin:
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
    discount_total: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
    tax_total: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
    total: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
    total_mrr: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)


class Quote(
    UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, TotalsMixin, Base
):
    """A formal proposal. ``number`` stays across revisions; ``revision`` counts them."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("number", "revision"),)

    number: Mapped[str] = mapped_column(String(30), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("deals.id", ondelete="SET NULL"), nullable=True, index=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    previous_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("quotes.id", ondelete="SET NULL"), nullable=True
    )
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    terms: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class QuoteLineItem(LineItemMixin, Base):
    __tablename__ = "quote_line_items"

    @declared_attr
    def quote_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False, index=True
        )


class Order(
    UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, TotalsMixin, Base
):
    """What the customer bought: made from an accepted quote or a won deal."""

    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="confirmed")
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("deals.id", ondelete="SET NULL"), nullable=True, index=True
    )
    quote_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("quotes.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    order_date: Mapped[date] = mapped_column(Date, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrderLineItem(LineItemMixin, Base):
    __tablename__ = "order_line_items"

    @declared_attr
    def order_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
        )
