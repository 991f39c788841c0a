from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
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

MEETING_STATUSES = ("scheduled", "completed", "cancelled", "no_show")
ATTENDEE_RESPONSES = ("needs_action", "accepted", "declined", "tentative")


class Meeting(
    UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, RelatedMixin, Base
):
    """A meeting; ``owner_id`` is the organizer. ``ics_sequence`` grows with every change
    sent to attendees (RFC 5545 SEQUENCE)."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_related", "related_type", "related_id"),
        Index("ix_meetings_owner_starts", "owner_id", "starts_at"),
    )

    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    timezone: Mapped[str] = mapped_column(String(60), nullable=False, default="UTC")
    location: Mapped[str | None] = mapped_column(String(300), nullable=True)
    video_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics_uid: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    ics_sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class MeetingAttendee(UUIDPkMixin, Base):
    """A contact or a user invited to a meeting (or a bare email address)."""

    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    response: Mapped[str] = mapped_column(String(20), nullable=False, default="needs_action")
