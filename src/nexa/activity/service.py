"""The timeline of a record (for whoever can read the record) and the audit log (admins)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.activity.repository import ActivityRepository
from nexa.core.actor import Actor
from nexa.core.audit import AuditEntry
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.events import REGISTRY
from nexa.core.filtering import FieldSpec, decode_cursor, encode_cursor
from nexa.core.repository import REPOSITORIES
from nexa.models import Activity

_CURSOR_SPEC = FieldSpec("occurred_at", None, "datetime", sortable=True)


def timeline_record_types() -> tuple[str, ...]:
    """Every registered record type, plus users and teams."""
    return (*sorted(REPOSITORIES), "user", "team")


def _require_readable(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> None:
    """404 unless ``actor`` may read the record (existence is not leaked)."""
    if record_type in REPOSITORIES:
        REPOSITORIES[record_type](session).get(actor, record_id, include_deleted=True)
    elif record_type == "user":
        from nexa.user.service import get_user

        get_user(session, actor, record_id)
    elif record_type == "team":
        from nexa.team.service import get_team

        get_team(session, actor, record_id)
    else:
        raise ValidationFailed(
            f"'{record_type[:40]}' has no timeline; "
            f"choose one of {', '.join(timeline_record_types())}",
            field="record_type",
        )


def _hidden_events(actor: Actor) -> list[str]:
    """Declared events whose permission the actor lacks (each event says who may see it)."""
    return sorted(
        name for name, event_type in REGISTRY.items() if not actor.can(event_type.permission)
    )


def _utc(value: datetime, field: str) -> datetime:
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValidationFailed("the date is out of range", field=field) from None


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    value, last_id = decode_cursor(cursor, _CURSOR_SPEC)
    if not isinstance(value, datetime):
        raise ValidationFailed(
            "the cursor is not valid for this list; start again without it", field="cursor"
        )
    return _utc(value, "cursor"), last_id


def _page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination over (time, id), newest first: page 1,000 costs what page 1 costs."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].occurred_at, rows[-1].id)


def timeline(
    session: Session,
    actor: Actor,
    *,
    record_type: str,
    record_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Activity], str | None]:
    _require_readable(session, actor, record_type, record_id)
    after = _decode(cursor) if cursor else None
    rows = ActivityRepository(session).timeline(
        record_type, record_id, _hidden_events(actor), after, limit
    )
    return _page(rows, limit)


def audit_log(
    session: Session,
    actor: Actor,
    *,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    field: str | None = None,
    event: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], str | None]:
    """Who changed what, newest first; admins only."""
    if not actor.can("audit:read"):
        raise PermissionDenied("only admins can read the audit log")
    since_utc = _utc(since, "since") if since is not None else None
    after = _decode(cursor) if cursor else None
    rows = ActivityRepository(session).audit_log(
        record_type=record_type,
        record_id=record_id,
        actor_id=actor_id,
        field=field,
        event=event,
        since=since_utc,
        after=after,
        limit=limit,
    )
    return _page(rows, limit)


FEED_TYPES = ("lead", "contact", "account", "deal")


def recent_activity(
    session: Session, actor: Actor, *, limit: int = 15, record_types: tuple[str, ...] = FEED_TYPES
) -> list[Activity]:
    """The latest timeline entries across the records of ``record_types`` that ``actor`` can
    read (events the actor may see). Tasks, meetings, calls and notes appear through the
    records they are linked to, whose timelines carry them. The newest ``limit × 5`` entries
    are read, then kept when their record passes its type's ``readable(actor)``: one query
    per readable type, always, so the cost does not depend on the rows."""
    limit = max(1, min(limit, 100))
    types = tuple(t for t in record_types if t in REPOSITORIES and actor.can(f"{t}:read"))
    if not types:
        return []
    repo = ActivityRepository(session)
    rows = repo.newest_of_types(types, _hidden_events(actor), limit * 5)
    readable: set[tuple[str, uuid.UUID]] = set()
    for record_type in types:
        ids = {r.record_id for r in rows if r.record_type == record_type}
        found = repo.readable_ids(actor, record_type, ids)
        readable.update((record_type, record_id) for record_id in found)
    return [r for r in rows if (r.record_type, r.record_id) in readable][:limit]
