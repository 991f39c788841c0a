"""/api/v1/notifications: the acting user's notification centre."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.notification import service
from nexa.notification.schemas import NotificationList, NotificationOut

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get(
    "",
    response_model=NotificationList,
    summary="My notifications, newest first",
    openapi_extra=needs("notification:read"),
)
def list_notifications(
    session: SessionDep,
    actor: ActorDep,
    unread_only: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    items = service.list_notifications(session, actor, unread_only=unread_only, limit=limit)
    return NotificationList(
        items=[NotificationOut.model_validate(n) for n in items],
        unread=service.unread_count(session, actor),
    )


@router.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one read",
    openapi_extra=needs("notification:write"),
)
def mark_read(notification_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> NotificationOut:
    return NotificationOut.model_validate(service.mark_read(session, actor, notification_id))


@router.post("/read-all", summary="Mark all read", openapi_extra=needs("notification:write"))
def mark_all_read(session: SessionDep, actor: ActorDep) -> dict[str, int]:
    return {"marked": service.mark_all_read(session, actor)}
