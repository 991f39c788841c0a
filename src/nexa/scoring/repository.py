"""All of the lead score's SQL: the facts of leads, their engagement, their field history.

These are system reads (scoring runs for every lead whoever caused it); the service decides
who may see the results."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Select,
    String,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from nexa.core.audit import AuditEntry
from nexa.core.batches import chunks
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


def timelines(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TimelineEntry]]:
    found: dict[uuid.UUID, list[TimelineEntry]] = defaultdict(list)
    for chunk in chunks(ids, CHUNK):
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
    for chunk in chunks(ids, CHUNK):
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


# ---- batch scoring: facts column by column, writes through the driver -------------------


def _raw(expression: Any) -> Any:
    """The value as the driver hands it (and takes it back): no SQLAlchemy processing per row
    (ids stay SQLite's hex text or psycopg's UUID, times SQLite's text or psycopg's datetime)."""
    return type_coerce(expression, NullType())


# the counters and the events that feed each (one per counter today)
COUNTER_EVENTS: dict[str, list[str]] = defaultdict(list)
for _event, _counter in ENGAGEMENT_EVENTS.items():
    COUNTER_EVENTS[_counter].append(_event)
FORM_COUNTER = ENGAGEMENT_EVENTS["lead.form_submitted"]
ENGAGEMENT = (
    select(
        _raw(Activity.record_id),
        *(
            func.sum(case((Activity.event.in_(events), 1), else_=0))
            for events in COUNTER_EVENTS.values()
        ),
        _raw(func.max(Activity.occurred_at)),
    )
    .where(Activity.record_type == "lead", Activity.event.in_(list(ENGAGEMENT_EVENTS)))
    .group_by(Activity.record_id)
)
# one lead (scoring on an event): built once, so a lead's create pays only for executing it
ONE_ENGAGEMENT = ENGAGEMENT.where(Activity.record_id == bindparam("lead_id"))


def _custom_value(key: str, dialect: str) -> Any:
    """One custom field's value as JSON text (NULL when absent), or None when this database
    cannot say: SQLite's ``->`` (3.38 and later) and PostgreSQL's ``->`` keep the value's
    text, so parsing it gives what parsing the whole document gives."""
    if dialect == "postgresql":
        return cast(Lead.custom_fields.op("->")(literal(key, String)), Text)
    if dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 38):
        return Lead.custom_fields.op("->", return_type=Text())(literal(f"$.{key}", String))
    return None


@functools.lru_cache(maxsize=64)
def _leads_statement(
    fields: tuple[str, ...],
    custom_keys: tuple[str, ...],
    dialect: str,
    one: bool,
    description: bool = False,
) -> tuple[Select[Any], bool]:
    """The leads' SELECT for these standard fields and custom keys (built once per scorer):
    id, created_at, score, its scorer, whether there is a description, the fields, then each
    custom value's JSON text — or the whole custom_fields document when the database cannot
    pick values (the bool says which), then the description's text when ``description``. In
    table order: the order the UPDATEs find the rows."""
    columns: list[Any] = [
        _raw(Lead.id),
        _raw(Lead.created_at),
        Lead.score,
        Lead.score_model_version,
        _raw(case((or_(Lead.description.is_(None), Lead.description == ""), 0), else_=1)),
        *(WebForm.form_type if name == "form_type" else getattr(Lead, name) for name in fields),
    ]
    picked = [_custom_value(key, dialect) for key in custom_keys]
    by_key = all(value is not None for value in picked)
    if by_key:
        columns += picked
    elif custom_keys:
        columns.append(Lead.custom_fields)
    if description:
        columns.append(Lead.description)
    statement = select(*columns).where(Lead.deleted_at.is_(None))
    if "form_type" in fields:
        statement = statement.outerjoin(WebForm, WebForm.id == Lead.web_form_id)
    if one:
        statement = statement.where(Lead.id == bindparam("lead_id"))
    return statement, by_key


def form_types(session: Session, form_ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The type of each of these web forms."""
    if not form_ids:
        return {}
    stmt = select(WebForm.id, WebForm.form_type).where(WebForm.id.in_(form_ids))
    return {form_id: kind for form_id, kind in session.execute(stmt).all()}


def new_lead_columns(
    rows: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    custom_keys: Sequence[str],
    form_types: Mapping[uuid.UUID, str | None],
    now: datetime,
    description: bool = False,
) -> LeadColumns:
    """What ``lead_columns`` would read about these leads right after their INSERT
    (``rows``: their column values): never scored, no engagement yet — except a lead a web
    form makes, which arrives with that submission (its ``lead.form_submitted`` follows the
    INSERT in the same transaction): it is scored, and so routed, on the score it shows."""
    n = len(rows)
    created = datetime64([row.get("created_at") or now for row in rows])
    counts = {counter: np.zeros(n, dtype=np.int64) for counter in COUNTER_EVENTS}
    last_engaged = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    from_form = np.array([row.get("web_form_id") is not None for row in rows], dtype=bool)
    if from_form.any():
        counts[FORM_COUNTER][from_form] = 1
        last_engaged[from_form] = created[from_form]

    def field(row: Mapping[str, Any], name: str) -> Any:
        if name == "form_type":
            return form_types.get(row.get("web_form_id"))  # type: ignore[arg-type]
        return row.get(name)

    documents = [row.get("custom_fields") or {} for row in rows]
    return LeadColumns(
        ids=[row["id"] for row in rows],
        created=created,
        scores=[None] * n,
        versions=[None] * n,
        described=np.array([bool(row.get("description")) for row in rows], dtype=bool),
        fields={name: [field(row, name) for row in rows] for name in fields},
        custom={
            # as the database hands the stored JSON back
            f"custom.{key}": [json.loads(json.dumps(d.get(key))) for d in documents]
            for key in custom_keys
        },
        counts=counts,
        last_engaged=last_engaged,
        descriptions=[row.get("description") for row in rows] if description else None,
    )


def _parse_json(texts: Sequence[str | None]) -> list[Any]:
    """JSON texts (None: absent) parsed in one go."""
    return list(json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]"))


@dataclass
class LeadColumns:
    """Live leads' stored facts and engagement, column by column, in table order."""

    ids: list[Any]  # as the driver hands them: write them back as they are
    created: np.ndarray  # datetime64[us], UTC
    scores: list[int | None]
    versions: list[str | None]  # the scorer that wrote the score
    described: np.ndarray  # bool: a description that is not empty
    fields: dict[str, list[Any]]  # the standard fields asked for
    custom: dict[str, list[Any]]  # "custom.<key>" for the keys asked for; None when absent
    counts: dict[str, np.ndarray]  # engagement counters (ENGAGEMENT_EVENTS' values)
    last_engaged: np.ndarray  # datetime64[us] of the last engagement event, NaT when none
    descriptions: list[str | None] | None = None  # the text, when the scorer reads it

    def __len__(self) -> int:
        return len(self.ids)


def datetime64(values: Sequence[Any]) -> np.ndarray:
    """Times as the driver hands them → numpy UTC microseconds (None → NaT): SQLite's text is
    UTC already, PostgreSQL's aware datetimes are turned to UTC."""
    if not all(v is None or isinstance(v, str) for v in values):
        values = [
            v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
            for v in values
        ]
    return np.array(values, dtype="datetime64[us]")


def lead_columns(
    session: Session,
    ids: Sequence[uuid.UUID] | None,
    fields: Sequence[str] = tuple(STANDARD_FIELDS),
    custom_keys: Sequence[str] = (),
    description: bool = False,
) -> LeadColumns:
    """The facts batch scoring reads, for live leads (all of them when ``ids`` is None): the
    standard ``fields`` and ``custom_keys`` a scorer reads and the engagement counted per lead
    in SQL — two plain SELECTs without ORM entities, values as the driver hands them."""
    if session.autoflush:  # as an ORM query would: this transaction's pending changes count
        session.flush()
    connection = session.connection()
    fields, custom_keys, dialect = tuple(fields), tuple(custom_keys), connection.dialect.name
    statement, by_key = _leads_statement(fields, custom_keys, dialect, False, description)
    if ids is not None and len(ids) == 1:
        one = {"lead_id": ids[0]}
        statement, by_key = _leads_statement(fields, custom_keys, dialect, True, description)
        lead_rows = connection.execute(statement, one).all()
        engaged = connection.execute(ONE_ENGAGEMENT, one).all()
    elif ids is None:
        lead_rows = connection.execute(statement).all()
        engaged = connection.execute(ENGAGEMENT).all()
    else:
        lead_rows, engaged = [], []
        for chunk in chunks(ids, CHUNK):
            lead_rows += connection.execute(statement.where(Lead.id.in_(chunk))).all()
            engaged += connection.execute(ENGAGEMENT.where(Activity.record_id.in_(chunk))).all()
    n = len(lead_rows)
    columns = list(zip(*lead_rows, strict=True)) if n else [()] * len(statement.selected_columns)
    lead_ids = list(columns[0])
    first = 5  # id, created_at, score, score_model_version, described
    values = {name: list(columns[first + i]) for i, name in enumerate(fields)}
    rest = columns[first + len(fields) :]
    descriptions: list[str | None] | None = None
    if description:
        descriptions = list(rest[-1])
        rest = rest[:-1]
    custom: dict[str, list[Any]] = {}
    if by_key:
        custom = {f"custom.{k}": _parse_json(rest[i]) for i, k in enumerate(custom_keys)}
    elif custom_keys:
        documents = [d or {} for d in rest[0]]
        custom = {f"custom.{key}": [d.get(key) for d in documents] for key in custom_keys}
    counts = {counter: np.zeros(n, dtype=np.int64) for counter in COUNTER_EVENTS}
    last_engaged = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if engaged:
        position = {lead_id: i for i, lead_id in enumerate(lead_ids)}
        found = np.array([position.get(row[0], -1) for row in engaged], dtype=np.int64)
        known = found >= 0
        at = found[known]
        for k, counter in enumerate(COUNTER_EVENTS, start=1):
            counts[counter][at] = np.array([row[k] for row in engaged], dtype=np.int64)[known]
        last_engaged[at] = datetime64([row[-1] for row in engaged])[known]
    return LeadColumns(
        ids=lead_ids,
        created=datetime64(columns[1]),
        scores=list(columns[2]),
        versions=list(columns[3]),
        described=np.array(columns[4], dtype=bool),
        fields=values,
        custom=custom,
        counts=counts,
        last_engaged=last_engaged,
        descriptions=descriptions,
    )


def _bound(session: Session, table: Table, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """One value per column as the driver takes it (each column type's bind processor)."""
    dialect = session.connection().dialect
    out = []
    for name, value in values.items():
        processor = _to_driver(table.c[name].type, dialect)
        out.append(processor(value) if processor is not None and value is not None else value)
    return tuple(out)


def _to_driver(column_type: Any, dialect: Any) -> Any:
    """The column type's bind processor on this database (SQLite: times as SQLAlchemy's text,
    UUIDs as hex), None when the driver takes values as they are."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def driver_ids(session: Session, ids: Sequence[uuid.UUID]) -> list[Any]:
    """Lead ids as the driver hands them (to find them among ``lead_columns``' ids)."""
    to_driver = _to_driver(Lead.__table__.c.id.type, session.connection().dialect)
    return [to_driver(i) for i in ids] if to_driver else list(ids)


def _executemany(session: Session, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    connection = session.connection()
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    connection.exec_driver_sql(sql, list(rows))


def write_scores(
    session: Session,
    ids: Sequence[Any],
    values: Mapping[str, Sequence[Any]],
    same: Mapping[str, Any],
) -> None:
    """UPDATE leads ``ids`` (as ``lead_columns`` hands them): ``values`` a list per column
    (one entry per lead), ``same`` one value for every lead — one executemany through the
    driver; values go through their column type's bind processor (the factors' JSON), each
    constant once.

    A Core statement on purpose: a score is the system's output, not an edit, so it must not
    bump the lead's version (its ETag) and turn a person's open edit into a 412."""
    if not ids:
        return
    table = Lead.__table__
    assert isinstance(table, Table)
    dialect = session.connection().dialect
    columns = []
    for name, column in values.items():
        processor = _to_driver(table.c[name].type, dialect)
        columns.append(
            column if processor is None else [None if v is None else processor(v) for v in column]
        )
    names = [*values, *same]
    # identifiers are this module's column names; every value is bound
    sql = f"UPDATE leads SET {', '.join(f'{c} = ?' for c in names)} WHERE id = ?"  # noqa: S608
    constants = _bound(session, table, same)
    rows = zip(*columns, ids, strict=True)
    _executemany(session, sql, ((*row[:-1], *constants, row[-1]) for row in rows))


def new_ids(n: int) -> list[uuid.UUID]:
    """``n`` random (version 4) UUIDs from one read of the system's random source."""
    random = os.urandom(16 * n)
    return [uuid.UUID(bytes=random[i : i + 16], version=4) for i in range(0, 16 * n, 16)]


def add_changes(
    session: Session,
    lead_ids: Sequence[Any],
    scores: Sequence[int],
    previous: Sequence[int | None],
    same: Mapping[str, Any],
) -> None:
    """Score change rows (``lead_ids`` as ``lead_columns`` hands them); ``same``: columns
    with one value for every row. The new random ids are handed out in ascending order to
    the rows in lead order, so both the primary key and the lead index are filled in order
    (on SQLite with a long history about half the time of random order)."""
    if not lead_ids:
        return
    table = LeadScoreChange.__table__
    assert isinstance(table, Table)
    to_driver = _to_driver(table.c.id.type, session.connection().dialect)
    fresh = new_ids(len(lead_ids))
    ids = sorted([to_driver(i) for i in fresh] if to_driver else fresh)
    names = ["id", "lead_id", "score", "previous_score", *same]
    # identifiers are this module's column names; every value is bound
    sql = (
        f"INSERT INTO lead_score_changes ({', '.join(names)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    constants = _bound(session, table, same)
    rows = sorted(zip(lead_ids, scores, previous, strict=True), key=lambda row: row[0])
    _executemany(
        session,
        sql,
        ((i, *row, *constants) for i, row in zip(ids, rows, strict=True)),
    )


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


def latest_model(session: Session, kind: str) -> MLModel | None:
    stmt = select(MLModel).where(MLModel.kind == kind).order_by(MLModel.version.desc()).limit(1)
    return session.scalars(stmt).first()


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
