from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import (
    Base,
    JSONType,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.text import text_key

ACCOUNT_TYPES = ("prospect", "customer", "partner", "vendor")
ACCOUNT_TIERS = ("enterprise", "mid-market", "smb", "startup")


class Account(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # Unique among live records (ARCHITECTURE rule 8): a partial unique index on the
        # name's key (nexa.core.text), so look-alike names are one name.
        Index(
            "uq_accounts_name_live",
            "name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
        ),
        Index("ix_accounts_owner_created", "owner_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    account_number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    industry: Mapped[str | None] = mapped_column(String(120), nullable=True)
    type: Mapped[str] = mapped_column(String(20), nullable=False, default="prospect")
    website: Mapped[str | None] = mapped_column(String(500), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    employees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    annual_revenue_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    @validates("name")
    def _keep_name_key(self, _: str, value: str | None) -> str | None:
        """``name_key`` follows ``name`` (nexa.core.text: what uniqueness compares)."""
        self.name_key = text_key(value)
        return value
