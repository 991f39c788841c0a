"""All of the timeline's and the audit log's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, insert, or_, select
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.audit import AuditEntry
from nexa.core.repository import REPOSITORIES
from nexa.models import Activity


class ActivityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _newest_first(
        self,
        stmt: Select[Any],
        time_col: Any,
        id_col: Any,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Any]:
        """Keyset page over (time, id), newest first; ``limit + 1`` rows tell if more follow."""
        stmt = stmt.order_by(time_col.desc(), id_col.desc())
        if after is not None:
            at, last_id = after
            stmt = stmt.where(or_(time_col < at, and_(time_col == at, id_col < last_id)))
        return list(self.session.scalars(stmt.limit(limit + 1)))

    def timeline(
        self,
        record_type: str,
        record_id: uuid.UUID,
        hidden: list[str],
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Activity]:
        stmt = select(Activity).where(
            Activity.record_type == record_type, Activity.record_id == record_id
        )
        if hidden:
            stmt = stmt.where(Activity.event.not_in(hidden))
        return self._newest_first(stmt, Activity.occurred_at, Activity.id, after, limit)

    def audit_log(
        self,
        *,
        record_type: str | None,
        record_id: uuid.UUID | None,
        actor_id: uuid.UUID | None,
        field: str | None,
        event: str | None,
        since: datetime | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[AuditEntry]:
        stmt = select(AuditEntry)
        if record_type:
            stmt = stmt.where(AuditEntry.record_type == record_type)
        if record_id is not None:
            stmt = stmt.where(AuditEntry.record_id == record_id)
        if actor_id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        if field:
            stmt = stmt.where(AuditEntry.field == field)
        if event:
            stmt = stmt.where(AuditEntry.event == event)
        if since is not None:
            stmt = stmt.where(AuditEntry.occurred_at >= since)
        return self._newest_first(stmt, AuditEntry.occurred_at, AuditEntry.id, after, limit)

    def newest_of_types(
        self, record_types: tuple[str, ...], hidden: list[str], limit: int
    ) -> list[Activity]:
        stmt = select(Activity).where(Activity.record_type.in_(record_types))
        if hidden:
            stmt = stmt.where(Activity.event.not_in(hidden))
        return list(
            self.session.scalars(
                stmt.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit)
            )
        )

    def readable_ids(self, actor: Actor, record_type: str, ids: set[uuid.UUID]) -> list[uuid.UUID]:
        """Those of ``ids`` that ``actor`` may read, through the type's ``readable(actor)``."""
        repo = REPOSITORIES[record_type](self.session)
        return list(
            self.session.scalars(
                repo.readable(actor).with_only_columns(repo.model.id).where(repo.model.id.in_(ids))
            )
        )

    def insert_entries(self, rows: list[dict[str, Any]]) -> None:
        """Timeline entries, one executemany (every row names every column)."""
        table = Activity.__table__
        assert isinstance(table, Table)
        self.session.execute(insert(table), rows)
