"""The in-app notification centre: created by services and jobs, read by their user."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotAuthenticated, NotFound
from nexa.core.events import publish
from nexa.models import Notification
from nexa.notification.events import NOTIFICATION_CREATED, NotificationCreated
from nexa.notification.repository import NotificationRepository


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
    session.add(note)  # written by the transaction's next flush, with the rest
    from nexa.core.events import OutboxMessage

    outbox_id = uuid.uuid4()
    session.add(
        OutboxMessage(
            id=outbox_id,
            event=NOTIFICATION_CREATED.name,
            record_type="notification",
            record_id=note.id,
            actor_id=None,
            payload=NotificationCreated(
                user_id=str(user_id), kind=kind, title=note.title
            ).to_json(),
        )
    )
    # delivered after commit (the email channel, pushes), not only by the outbox sweep
    session.info.setdefault("outbox_ids", []).append(outbox_id)
    return note


def _me(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise NotAuthenticated("notifications belong to a user")
    return actor.user_id


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    return NotificationRepository(session).of_user(_me(actor), unread_only=unread_only, limit=limit)


def unread_count(session: Session, actor: Actor) -> int:
    return NotificationRepository(session).unread_count(_me(actor))


def mark_read(session: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    note = NotificationRepository(session).one_of_user(notification_id, _me(actor))
    if note is None:
        raise NotFound(f"notification {notification_id} not found")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, actor: Actor) -> int:
    return NotificationRepository(session).mark_all_read(_me(actor), utcnow())


__all__ = ["list_notifications", "mark_all_read", "mark_read", "notify", "publish", "unread_count"]
