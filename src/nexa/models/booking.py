from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, TimestampMixin, UTCDateTime, UUIDPkMixin, VersionedMixin


class BookingPage(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    """A public booking page (``/book/{slug}``) of one user, or of one team (round robin
    among its active members). ``working_hours``: ``{"mon": [["09:00", "17:00"]], …}`` in
    each host's own time zone (``users.timezone``); a weekday not listed is not worked."""

    __tablename__ = "booking_pages"
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    notice_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=4)
    days_ahead: Mapped[int] = mapped_column(Integer, nullable=False, default=14)
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Booking(UUIDPkMixin, Base):
    """One meeting booked through a page: who hosts it (round robin reads the latest per
    host), what it is on, and a hash of the visitor's address (the rate limit counts these)."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_host_created", "host_id", "created_at"),
        Index("ix_bookings_page_client", "page_id", "client_hash", "created_at"),
    )

    page_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("booking_pages.id", ondelete="CASCADE"), nullable=False
    )
    host_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    related_type: Mapped[str] = mapped_column(String(20), nullable=False)
    related_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    client_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
