"""The events notifications publish (written straight to the outbox by ``notify``)."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class NotificationCreated(EventPayload):
    user_id: str
    kind: str
    title: str


NOTIFICATION_CREATED = declare(
    "notification.created",
    payload=NotificationCreated,
    permission="notification:read",
    description="A user was notified",
)
