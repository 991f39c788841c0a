"""The job domain's SQL: due outbox rows and job runs (infrastructure rows, not records)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexa.core.events import OutboxMessage
from nexa.models import JobRun


def due_outbox(
    session: Session, now: datetime, ids: list[str] | None, limit: int
) -> Iterator[OutboxMessage]:
    """Undelivered outbox rows due by ``now`` (only ``ids`` when given), oldest first."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= now
    )
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_([uuid.UUID(i) for i in ids]))
    return iter(session.scalars(stmt.order_by(OutboxMessage.created_at).limit(limit)))


def recent_runs(session: Session, name: str | None, limit: int) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id).limit(limit)
    if name:
        stmt = stmt.where(JobRun.name == name)
    return list(session.scalars(stmt))
