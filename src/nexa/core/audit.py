"""Who changed what: one audit row per changed field, written in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Table, Uuid, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexa.core.db.base import Base
from nexa.core.db.types import JSONType, UTCDateTime
from nexa.core.events import Event, batch_form, jsonable, subscribe


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "record_type", "record_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    event: Mapped[str] = mapped_column(String(80), nullable=False)
    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    field: Mapped[str | None] = mapped_column(String(120), nullable=True)
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)


@subscribe("*")
def write_audit_rows(session: Session, event: Event) -> None:
    common = dict(
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        event=event.name,
        record_type=event.record_type,
        record_id=event.record_id,
    )
    if not event.changes:
        session.add(AuditEntry(**common))
        return
    for field_name, (old, new) in event.changes.items():
        session.add(
            AuditEntry(**common, field=field_name, old_value=jsonable(old), new_value=jsonable(new))
        )


@batch_form(write_audit_rows)
def add_audit_rows(session: Session, events: list[Event]) -> None:
    """What ``write_audit_rows`` writes for each of ``events``, as one executemany (bulk
    creates: ``nexa.lead.bulk``)."""
    rows = []
    for event in events:
        common = dict(
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            event=event.name,
            record_type=event.record_type,
            record_id=event.record_id,
        )
        if not event.changes:
            rows.append({"id": uuid.uuid4(), **common, "field": None, "old_value": None,
                         "new_value": None})  # fmt: skip
            continue
        for field_name, (old, new) in event.changes.items():
            rows.append(
                {
                    "id": uuid.uuid4(),
                    **common,
                    "field": field_name,
                    "old_value": jsonable(old),
                    "new_value": jsonable(new),
                }
            )
    if rows:
        table = AuditEntry.__table__
        assert isinstance(table, Table)
        session.execute(insert(table), rows)
