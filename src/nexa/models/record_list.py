from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import (
    Base,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.text import text_key

LIST_KINDS = ("static", "dynamic")
LIST_OBJECTS = ("contact", "lead", "account")


class RecordList(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    """A contact list / segment: static (members added by hand) or dynamic (a saved filter in
    the API's filter language, evaluated when read). ``system_key`` marks lists the product
    itself maintains (the customer-success handoff list)."""

    __tablename__ = "lists"
    __table_args__ = (
        Index(
            "uq_lists_name_live",
            "name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="static")
    object_type: Mapped[str] = mapped_column(String(20), nullable=False, default="contact")
    filter: Mapped[str | None] = mapped_column(Text, nullable=True)
    system_key: Mapped[str | None] = mapped_column(String(60), nullable=True, unique=True)
    is_locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @validates("name")
    def _keep_name_key(self, _: str, value: str | None) -> str | None:
        """``name_key`` follows ``name`` (nexa.core.text: what uniqueness compares)."""
        self.name_key = text_key(value)
        return value


class ListMember(Base):
    """A record in a static list."""

    __tablename__ = "list_members"
    __table_args__ = (Index("ix_list_members_record", "record_id"),)

    list_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
