"""/api/v1/timeline (a record's history) and /api/v1/audit (who changed what)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from nexa.activity import service
from nexa.activity.schemas import AuditEntryOut, RecordType, TimelineEntryOut
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Page, Problem

router = APIRouter(
    tags=["activity"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="next_cursor of the previous page")
]


@router.get(
    "/timeline",
    response_model=Page[TimelineEntryOut],
    summary="A record's timeline, newest first",
    openapi_extra=needs("{record_type}:read"),
)
def timeline(
    session: SessionDep,
    actor: ActorDep,
    record_type: Annotated[RecordType, Query()],
    record_id: Annotated[uuid.UUID, Query()],
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[TimelineEntryOut]:
    rows, next_cursor = service.timeline(
        session, actor, record_type=record_type, record_id=record_id, cursor=cursor, limit=limit
    )
    return Page[TimelineEntryOut](
        items=[TimelineEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/audit",
    response_model=Page[AuditEntryOut],
    summary="The audit log, newest first (admins)",
    openapi_extra=needs("audit:read"),
)
def audit_log(
    session: SessionDep,
    actor: ActorDep,
    record_type: Annotated[str | None, Query(max_length=40)] = None,
    record_id: Annotated[uuid.UUID | None, Query()] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="Who made the change")] = None,
    field: Annotated[str | None, Query(max_length=120)] = None,
    event: Annotated[str | None, Query(max_length=80)] = None,
    since: Annotated[
        datetime | None, Query(description="Changes at or after this time (UTC by default)")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditEntryOut]:
    rows, next_cursor = service.audit_log(
        session,
        actor,
        record_type=record_type,
        record_id=record_id,
        actor_id=actor_id,
        field=field,
        event=event,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
