"""Generic record mechanics every domain service uses: apply a change set and diff it,
optimistic concurrency, soft delete and restore, keyset listing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from nexa.core.db import utcnow
from nexa.core.errors import PreconditionFailed, ValidationFailed
from nexa.core.events import EventPayload, publish
from nexa.core.filtering import (
    FieldSpec,
    ListQuery,
    apply_filters,
    apply_keyset,
    encode_cursor,
    parse_filters,
    parse_sort,
)


def apply_changes(record: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set attributes; return {field: (old, new)} for those that really changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(record, name)
        if old != new:
            changes[name] = (old, new)
            setattr(record, name, new)
    return changes


def check_version(record: Any, if_match: int | None) -> None:
    if if_match is not None and record.version != if_match:
        raise PreconditionFailed(
            f"the record is at version {record.version}, not {if_match}; reload and retry",
            field="If-Match",
        )


def soft_delete(record: Any) -> dict[str, tuple[Any, Any]]:
    now = utcnow()
    record.deleted_at = now
    return {"deleted_at": (None, now)}


def restore(record: Any) -> dict[str, tuple[Any, Any]]:
    old = record.deleted_at
    record.deleted_at = None
    return {"deleted_at": (old, None)}


def keyset_page(
    session: Session,
    stmt: Select[Any],
    query: ListQuery,
    fields: dict[str, FieldSpec],
    id_col: Any,
    *,
    default_sort: str,
    list_contains: Any = None,
) -> tuple[list[Any], str | None]:
    """Filter, sort and seek; fetch limit+1 rows to know whether a next page exists."""
    if query.fields:
        unknown = [f for f in query.fields if f not in fields and f not in ("custom_fields",)]
        if unknown:
            raise ValidationFailed(f"unknown field '{unknown[0][:60]}'", field="fields")
    conditions = parse_filters(query.filters, fields)
    stmt = apply_filters(stmt, conditions, fields, list_contains)
    spec, desc = parse_sort(query.sort, fields, default_sort)
    stmt = apply_keyset(stmt, spec, desc, id_col, query.cursor).limit(query.limit + 1)
    rows = list(session.scalars(stmt))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        value = _sort_value(last, spec)
        next_cursor = encode_cursor(value, last.id)
    return rows, next_cursor


def _sort_value(row: Any, spec: FieldSpec) -> Any:
    if spec.name.startswith("custom."):
        value = (row.custom_fields or {}).get(spec.name.removeprefix("custom."))
        return float(value) if spec.kind == "decimal" and value is not None else value
    value = getattr(row, spec.name)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def model_fields(
    model: Any,
    kinds: dict[str, str],
    sortable: set[str],
    choices: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, FieldSpec]:
    """FieldSpecs for a model's standard columns."""
    choices = choices or {}
    return {
        name: FieldSpec(name, getattr(model, name), kind, name in sortable, choices.get(name, ()))
        for name, kind in kinds.items()
    }


# ---- the generic life cycle every record service shares --------------------------------------


def delete_record(
    repo: Any,
    actor: Any,
    record_id: uuid.UUID,
    *,
    if_match: int | None,
    payload: Callable[[Any], EventPayload],
) -> Any:
    """Move a record to the bin (needs ``<object>:delete`` on it) and publish ``.deleted``."""
    record = repo.get_for(actor, record_id, "delete")
    check_version(record, if_match)
    changes = soft_delete(record)
    repo.session.flush()
    publish(
        repo.session,
        actor,
        f"{repo.object_name}.deleted",
        record_type=repo.object_name,
        record_id=record.id,
        changes=changes,
        payload=payload(record),
    )
    return record


def restore_record(
    repo: Any,
    actor: Any,
    record_id: uuid.UUID,
    *,
    check_clash: Callable[[Any], None],
    payload: Callable[[Any], EventPayload],
    flush: Callable[[Any], None] | None = None,
) -> Any:
    """Bring a record back from the bin; ``check_clash`` raises 409 when a live twin exists."""
    record = repo.get_for(actor, record_id, "delete", include_deleted=True)
    if record.deleted_at is None:
        return record
    check_clash(record)
    changes = restore(record)
    (flush or (lambda _r: repo.session.flush()))(record)
    publish(
        repo.session,
        actor,
        f"{repo.object_name}.restored",
        record_type=repo.object_name,
        record_id=record.id,
        changes=changes,
        payload=payload(record),
    )
    return record


def list_records(
    repo: Any, actor: Any, query: ListQuery, *, default_sort: str, list_contains: Any = None
) -> tuple[list[Any], str | None]:
    """A keyset page of what ``actor`` may read (``query.include_deleted``: the bin)."""
    stmt = repo.readable(actor, include_deleted=query.include_deleted)
    if query.include_deleted:
        stmt = stmt.where(repo.model.deleted_at.is_not(None))
    return keyset_page(
        repo.session,
        stmt,
        query,
        repo.fields(),
        repo.model.id,
        default_sort=default_sort,
        list_contains=list_contains,
    )
