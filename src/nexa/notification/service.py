"""The in-app notification centre: created by services and jobs, read by their user."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotAuthenticated, NotFound
from nexa.core.events import declare, publish
from nexa.models import Notification

declare("notification.created", permission="notification:read", description="A user was notified")


def notify(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: str,
    title: str,
    body: str | None = None,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
) -> Notification:
    """Create a notification (delivery by email/push happens after commit via the outbox)."""
    note = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        title=title[:300],
        body=body,
        record_type=record_type,
        record_id=record_id,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    from nexa.core.events import OutboxMessage

    session.add(
        OutboxMessage(
            id=uuid.uuid4(),
            event="notification.created",
            record_type="notification",
            record_id=note.id,
            actor_id=None,
            payload={"user_id": str(user_id), "kind": kind, "title": note.title},
        )
    )
    return note


def _me(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise NotAuthenticated("notifications belong to a user")
    return actor.user_id


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == _me(actor))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(
        session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id).limit(limit))
    )


def unread_count(session: Session, actor: Actor) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == _me(actor), Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    note = session.scalars(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == _me(actor)
        )
    ).first()
    if note is None:
        raise NotFound(f"notification {notification_id} not found")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, actor: Actor) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == _me(actor), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["list_notifications", "mark_all_read", "mark_read", "notify", "publish", "unread_count"]
