"""The record services' own SQL: whether a live record already holds a unique value; moving
what is linked to one record onto another (conversion, and merges)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from nexa.core.db.base import Base
from nexa.core.repository import unscoped
from nexa.models import Activity


def value_holder(
    session: Session, model: Any, key_column: str, key: str | None, exclude_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The live ``model`` row whose ``key_column`` is ``key`` (nexa.core.text.text_key), if
    any: the system view, since uniqueness sees every record, readable or not."""
    if key is None:
        return None
    column = getattr(model, key_column)
    stmt = select(model.id).where(column == key, column.is_not(None))
    if hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    found: uuid.UUID | None = session.scalars(unscoped(stmt.limit(1))).first()
    return found


def linked_models() -> list[Any]:
    """Every table whose rows link to any record by ``related_type``/``related_id`` (tasks,
    notes, meetings, calls, email threads and messages …)."""
    return sorted(
        (
            m.class_
            for m in Base.registry.mappers
            if {"related_type", "related_id"} <= set(m.columns.keys())
        ),
        key=lambda cls: cls.__tablename__,
    )


def move_linked(
    session: Session, source: tuple[str, uuid.UUID], target: tuple[str, uuid.UUID]
) -> dict[str, int]:
    """Point every row linked to ``source`` at ``target`` instead (one UPDATE a table, the
    system view: binned rows move too). Rows moved, by table."""
    moved: dict[str, int] = {}
    for model in linked_models():
        stmt = (
            update(model)
            .where(model.related_type == source[0], model.related_id == source[1])
            .values(related_type=target[0], related_id=target[1])
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(session.execute(stmt), "rowcount", 0) or 0)
        if count:
            moved[model.__tablename__] = count
    return moved


def copy_timeline(
    session: Session, source: tuple[str, uuid.UUID], targets: list[tuple[str, uuid.UUID]]
) -> int:
    """Copy ``source``'s timeline entries onto each of ``targets`` (their times kept, each
    copy saying where it came from); the entries copied per target."""
    stmt = select(Activity).where(
        Activity.record_type == source[0], Activity.record_id == source[1]
    )
    entries = list(session.scalars(stmt))
    origin = {"record_type": source[0], "record_id": str(source[1])}
    rows = [
        {
            "id": uuid.uuid4(),
            "record_type": record_type,
            "record_id": record_id,
            "event": e.event,
            "summary": e.summary,
            "actor_id": e.actor_id,
            "actor_name": e.actor_name,
            "occurred_at": e.occurred_at,
            "data": {**(e.data or {}), "source": (e.data or {}).get("source") or origin},
        }
        for record_type, record_id in targets
        for e in entries
        if ((e.data or {}).get("source") or {}).get("record_id") != str(record_id)
    ]
    if rows:
        session.execute(insert(Activity), rows)
    return len(entries)
