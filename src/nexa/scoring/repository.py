"""All of the lead score's SQL: the facts of leads, their engagement, their field history.

These are system reads (scoring runs for every lead whoever caused it); the service decides
who may see the results."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from nexa.core.audit import AuditEntry
from nexa.core.repository import unscoped
from nexa.intelligence.lead_features import (
    ENGAGEMENT_EVENTS,
    STANDARD_FIELDS,
    FieldChange,
    TimelineEntry,
)
from nexa.models import Activity, Lead, LeadScoreChange, MLModel, WebForm

CHUNK = 500
FACT_COLUMNS = (
    Lead.id,
    Lead.created_at,
    Lead.status,
    Lead.status_changed_at,
    Lead.converted_at,
    Lead.score,
    Lead.score_model_version,
    Lead.description,
    Lead.custom_fields,
    *(getattr(Lead, name) for name in STANDARD_FIELDS if name != "form_type"),
    WebForm.form_type,
)


def _fact(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["custom_fields"] = data.get("custom_fields") or {}
    return data


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


FACTS = (
    select(*FACT_COLUMNS)
    .outerjoin(WebForm, WebForm.id == Lead.web_form_id)
    .where(Lead.deleted_at.is_(None))
    .order_by(Lead.created_at, Lead.id)
)
# one lead (scoring on an event): built once, so a lead's create pays only for executing it
ONE_FACT = unscoped(FACTS.where(Lead.id == bindparam("lead_id")))
ONE_ENGAGEMENT = (
    select(Activity.record_id, Activity.event, func.count(), func.max(Activity.occurred_at))
    .where(
        Activity.record_type == "lead",
        Activity.record_id == bindparam("lead_id"),
        Activity.event.in_(list(ENGAGEMENT_EVENTS)),
    )
    .group_by(Activity.record_id, Activity.event)
)


def fact_rows(session: Session, ids: Sequence[uuid.UUID] | None = None) -> list[dict[str, Any]]:
    """Live leads' facts (all of them when ``ids`` is None), oldest first."""
    base = FACTS
    if ids is not None and len(ids) == 1:
        return [_fact(r) for r in session.execute(ONE_FACT, {"lead_id": ids[0]})]
    if ids is None:
        return [_fact(r) for r in session.execute(unscoped(base))]
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        rows.extend(_fact(r) for r in session.execute(unscoped(base.where(Lead.id.in_(chunk)))))
    return rows


def closed_fact_rows(session: Session) -> list[dict[str, Any]]:
    """Converted and lost live leads, oldest first: the training history."""
    stmt = (
        select(*FACT_COLUMNS)
        .outerjoin(WebForm, WebForm.id == Lead.web_form_id)
        .where(Lead.deleted_at.is_(None), Lead.status.in_(("converted", "lost")))
        .order_by(Lead.created_at, Lead.id)
    )
    return [_fact(r) for r in session.execute(unscoped(stmt))]


def closed_counts(session: Session) -> dict[str, int]:
    stmt = (
        select(Lead.status, func.count())
        .where(Lead.deleted_at.is_(None), Lead.status.in_(("converted", "lost")))
        .group_by(Lead.status)
    )
    found = dict(session.execute(unscoped(stmt)).all())
    return {"converted": int(found.get("converted", 0)), "lost": int(found.get("lost", 0))}


def engagement_now(
    session: Session, ids: Sequence[uuid.UUID] | None
) -> dict[uuid.UUID, dict[str, Any]]:
    """Per lead: counts of engagement events on its timeline and the last one's time."""
    base = (
        select(Activity.record_id, Activity.event, func.count(), func.max(Activity.occurred_at))
        .where(Activity.record_type == "lead", Activity.event.in_(list(ENGAGEMENT_EVENTS)))
        .group_by(Activity.record_id, Activity.event)
    )
    if ids is not None and len(ids) == 1:
        results = [session.execute(ONE_ENGAGEMENT, {"lead_id": ids[0]})]
    else:
        statements = (
            [base] if ids is None else [base.where(Activity.record_id.in_(c)) for c in _chunks(ids)]
        )
        results = [session.execute(stmt) for stmt in statements]
    found: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
    for result in results:
        for record_id, event, count, last in result:
            entry = found[record_id]
            counter = ENGAGEMENT_EVENTS[event]
            entry[counter] = entry.get(counter, 0) + int(count)
            if last is not None and (entry.get("last") is None or last > entry["last"]):
                entry["last"] = last
    return found


def timelines(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TimelineEntry]]:
    found: dict[uuid.UUID, list[TimelineEntry]] = defaultdict(list)
    for chunk in _chunks(ids):
        stmt = select(Activity.record_id, Activity.event, Activity.occurred_at).where(
            Activity.record_type == "lead",
            Activity.record_id.in_(chunk),
            Activity.event.in_(list(ENGAGEMENT_EVENTS)),
        )
        for record_id, event, at in session.execute(stmt):
            found[record_id].append(TimelineEntry(event, at))
    return found


def field_changes(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[FieldChange]]:
    """Each lead's field edits (from the audit trail): what a field held before each change."""
    found: dict[uuid.UUID, list[FieldChange]] = defaultdict(list)
    for chunk in _chunks(ids):
        stmt = select(
            AuditEntry.record_id, AuditEntry.field, AuditEntry.old_value, AuditEntry.occurred_at
        ).where(
            AuditEntry.record_type == "lead",
            AuditEntry.event == "lead.updated",
            AuditEntry.field.is_not(None),
            AuditEntry.record_id.in_(chunk),
        )
        for record_id, field_name, old, at in session.execute(stmt):
            if record_id is not None and field_name:
                found[record_id].append(FieldChange(field_name, old, at))
    return found


BULK_ROWS = 200  # above this, write through the driver (SQLAlchemy's per-row work dominates)


def _driver_executemany(
    session: Session, table: Table, sql: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """executemany straight on the driver: values go through each column type's bind
    processor (UUIDs as SQLite stores them, times as UTC), nothing else per row."""
    connection = session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    params = [
        tuple(
            p(v) if p is not None and v is not None else v
            for p, v in zip(processors, row, strict=True)
        )
        for row in rows
    ]
    if dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    connection.exec_driver_sql(sql, params)


def write_scores(
    session: Session,
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    same: dict[str, Any] | None = None,
) -> None:
    """One executemany UPDATE of ``columns`` for rows ``{"id", <column>…}``, plus the
    columns in ``same`` set to one value for every row.

    A Core statement on purpose: a score is the system's output, not an edit, so it must not
    bump the lead's version (its ETag) and turn a person's open edit into a 412."""
    if not rows:
        return
    table = Lead.__table__
    assert isinstance(table, Table)
    same = same or {}
    if len(rows) > BULK_ROWS and "score_factors" not in columns:
        names = [*columns, *same, "id"]
        # identifiers are this module's column names; every value is bound
        assignments = ", ".join(f"{c} = ?" for c in [*columns, *same])
        sql = f"UPDATE leads SET {assignments} WHERE id = ?"  # noqa: S608
        constants = tuple(same.values())
        values = [(*(row[c] for c in columns), *constants, row["id"]) for row in rows]
        _driver_executemany(session, table, sql, names, values)
        return
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(f"_{c}") for c in columns})
        .values(same)
    )
    session.execute(stmt, [{f"_{k}": v for k, v in row.items()} for row in rows])


def add_changes(
    session: Session, rows: list[dict[str, Any]], same: dict[str, Any] | None = None
) -> None:
    """Score change rows; ``same``: columns with one value for every row."""
    if not rows:
        return
    table = LeadScoreChange.__table__
    assert isinstance(table, Table)
    same = same or {}
    if len(rows) > BULK_ROWS:
        names = [*rows[0], *same]
        # identifiers are this module's column names; every value is bound
        sql = (
            f"INSERT INTO lead_score_changes ({', '.join(names)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        constants = tuple(same.values())
        values = [(*row.values(), *constants) for row in rows]
        _driver_executemany(session, table, sql, names, values)
        return
    session.execute(insert(table).values(same), rows)


def score_changes(session: Session, lead_id: uuid.UUID, limit: int = 20) -> list[LeadScoreChange]:
    stmt = (
        select(LeadScoreChange)
        .where(LeadScoreChange.lead_id == lead_id)
        .order_by(LeadScoreChange.scored_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# ---- the model registry ---------------------------------------------------------------


def active_model(session: Session, kind: str) -> MLModel | None:
    stmt = select(MLModel).where(MLModel.kind == kind, MLModel.status == "active").limit(1)
    return session.scalars(stmt).first()


def active_version(session: Session, kind: str) -> tuple[uuid.UUID, int] | None:
    stmt = select(MLModel.id, MLModel.version).where(
        MLModel.kind == kind, MLModel.status == "active"
    )
    row = session.execute(stmt.limit(1)).first()
    return (row[0], row[1]) if row else None


def model_by_version(session: Session, kind: str, version: int) -> MLModel | None:
    stmt = select(MLModel).where(MLModel.kind == kind, MLModel.version == version)
    return session.scalars(stmt).first()


def models(session: Session, kind: str) -> list[MLModel]:
    stmt = select(MLModel).where(MLModel.kind == kind).order_by(MLModel.version.desc())
    return list(session.scalars(stmt))


def next_version(session: Session, kind: str) -> int:
    stmt = select(func.max(MLModel.version)).where(MLModel.kind == kind)
    return int(session.execute(stmt).scalar() or 0) + 1


def retire_all(session: Session, kind: str) -> None:
    session.execute(
        update(MLModel)
        .where(MLModel.kind == kind, MLModel.status == "active")
        .values(status="retired")
    )


def newest_close(session: Session) -> datetime | None:
    stmt = select(func.max(Lead.status_changed_at)).where(
        Lead.status.in_(("converted", "lost")), Lead.deleted_at.is_(None)
    )
    return session.execute(unscoped(stmt)).scalar()
