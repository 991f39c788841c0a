from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import (
    Base,
    JSONType,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.text import text_key

LIFECYCLE_STAGES = ("subscriber", "lead", "opportunity", "customer", "advocate")
CUSTOMER_STATUSES = ("active", "inactive", "churned")


class Contact(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(
            "uq_contacts_email_live",
            "email_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND email_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND email_key IS NOT NULL"),
        ),
        Index("ix_contacts_owner_created", "owner_id", "created_at"),
        Index("ix_contacts_last_name", "last_name", "id"),
    )

    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    email_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # IANA zone; empty: inferred from the phones (nexa.core.localtime.member_zone)
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str | None] = mapped_column(String(150), nullable=True)
    department: Mapped[str | None] = mapped_column(String(120), nullable=True)
    linkedin_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reporting_to_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    lifecycle_stage: Mapped[str] = mapped_column(String(20), nullable=False, default="lead")
    customer_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    @validates("email")
    def _keep_email_key(self, _: str, value: str | None) -> str | None:
        """``email_key`` follows ``email`` (nexa.core.text: what uniqueness compares)."""
        self.email_key = text_key(value)
        return value
