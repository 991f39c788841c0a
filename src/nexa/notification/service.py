"""The in-app notification centre: created by services and jobs, read by their user."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotAuthenticated, NotFound
from nexa.core.events import publish
from nexa.models import Notification, User
from nexa.notification.events import NOTIFICATION_CREATED, NotificationCreated
from nexa.notification.repository import NotificationRepository

# The kinds of notification a user can turn on or off (in the app, by email), with the
# kinds of the notifications each covers.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "assigned": ("A record is assigned to you", ("assigned",)),
    "lead.routed": ("A new lead is routed to you", ("lead.routed",)),
    "sla": (
        "A lead's first-response time is running out or has passed",
        ("sla.warning", "sla.breached", "sla.escalated"),
    ),
    "task.reminder": ("A task reminder is due", ("task.reminder",)),
}
GROUP_OF = {kind: group for group, (_, kinds) in KINDS.items() for kind in kinds}


def wants(user: User | None, kind: str, channel: str) -> bool:
    """Whether ``user`` gets notifications of ``kind`` by ``channel`` ("app" or "email")."""
    if user is None:
        return channel == "app"
    settings = (user.notification_settings or {}).get(GROUP_OF.get(kind, kind)) or {}
    if channel == "email":
        return bool(user.notify_by_email) and bool(settings.get("email", True))
    return bool(settings.get("app", True))


def muted_kinds(user: User | None) -> list[str]:
    """The kinds ``user`` turned off in the app (their notifications are not listed)."""
    if user is None:
        return []
    return [
        kind
        for group, (_, kinds) in KINDS.items()
        for kind in kinds
        if not ((user.notification_settings or {}).get(group) or {}).get("app", True)
    ]


def settings_of(session: Session, actor: Actor) -> dict[str, dict[str, bool]]:
    """{group: {"app": bool, "email": bool}} for every kind, as the profile page shows it."""
    user = session.get(User, _me(actor))
    saved = (user.notification_settings if user else None) or {}
    return {
        group: {
            "app": bool((saved.get(group) or {}).get("app", True)),
            "email": bool((saved.get(group) or {}).get("email", True)),
        }
        for group in KINDS
    }


def save_settings(
    session: Session, actor: Actor, chosen: dict[str, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Store the actor's choices (unknown kinds are ignored)."""
    user = session.get(User, _me(actor))
    if user is None:
        raise NotFound("user not found")
    user.notification_settings = {
        group: {
            "app": bool((chosen.get(group) or {}).get("app")),
            "email": bool((chosen.get(group) or {}).get("email")),
        }
        for group in KINDS
    }
    session.flush()
    # what is no longer shown in the app no longer counts as unread
    NotificationRepository(session).mark_all_read(user.id, utcnow(), kinds=muted_kinds(user))
    return settings_of(session, actor)


def notify(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: str,
    title: str,
    body: str | None = None,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
) -> Notification | None:
    """Create a notification (delivery by email/push happens after commit via the outbox).
    A kind the user turned off in the app is stored read (only its email goes out); one
    turned off in both channels is not made at all."""
    user = session.get(User, user_id)
    in_app = wants(user, kind, "app")
    if not in_app and not wants(user, kind, "email"):
        return None
    note = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        title=title[:300],
        body=body,
        record_type=record_type,
        record_id=record_id,
        created_at=utcnow(),
        read_at=None if in_app else utcnow(),
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
    session: Session,
    actor: Actor,
    *,
    unread_only: bool = False,
    limit: int = 50,
    muted: list[str] | None = None,
) -> list[Notification]:
    """The actor's notifications, newest first; ``muted``: kinds left out (the web lists
    only the kinds the user gets in the app)."""
    return NotificationRepository(session).of_user(
        _me(actor), unread_only=unread_only, limit=limit, muted=muted or []
    )


def unread_count(session: Session, actor: Actor) -> int:
    return NotificationRepository(session).unread_count(_me(actor))


def muted_kinds_of(session: Session, actor: Actor) -> list[str]:
    return muted_kinds(session.get(User, _me(actor)))


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


__all__ = [
    "KINDS",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "muted_kinds_of",
    "notify",
    "publish",
    "save_settings",
    "settings_of",
    "unread_count",
    "wants",
]
