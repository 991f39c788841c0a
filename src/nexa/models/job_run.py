from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, UTCDateTime, UUIDPkMixin, utcnow


class JobRun(UUIDPkMixin, Base):
    """One run of a background job, as the admin sees it."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_started", "started_at"),)

    name: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    args: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
