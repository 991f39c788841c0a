from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, UTCDateTime, UUIDPkMixin


class Activity(UUIDPkMixin, Base):
    """One entry of a record's timeline, derived from a domain event."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_record", "record_type", "record_id", "occurred_at"),
        Index("ix_activities_occurred_at", "occurred_at"),
    )

    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    event: Mapped[str] = mapped_column(String(80), nullable=False)
    summary: Mapped[str] = mapped_column(String(500), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
