from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import (
    Base,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.models.related import RelatedMixin

CALL_DIRECTIONS = ("inbound", "outbound")
CALL_OUTCOMES = (
    "connected",
    "no_answer",
    "voicemail",
    "busy",
    "wrong_number",
    "callback_requested",
)


class Call(
    UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, RelatedMixin, Base
):
    """A logged phone call; the recording file lives under the var directory."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_related", "related_type", "related_id"),
        Index("ix_calls_owner_started", "owner_id", "started_at"),
    )

    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)
    phone_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recording_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    recording_content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recording_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recording_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
