"""All of the notifications' SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.models import Notification


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_user(
        self, user_id: uuid.UUID, *, unread_only: bool, limit: int, muted: list[str] | None = None
    ) -> list[Notification]:
        stmt = select(Notification).where(Notification.user_id == user_id)
        if muted:
            stmt = stmt.where(Notification.kind.not_in(muted))
        if unread_only:
            stmt = stmt.where(Notification.read_at.is_(None))
        return list(
            self.session.scalars(
                stmt.order_by(Notification.created_at.desc(), Notification.id).limit(limit)
            )
        )

    def unread_count(self, user_id: uuid.UUID) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            )
            or 0
        )

    def one_of_user(self, notification_id: uuid.UUID, user_id: uuid.UUID) -> Notification | None:
        return self.session.scalars(
            select(Notification).where(
                Notification.id == notification_id, Notification.user_id == user_id
            )
        ).first()

    def mark_all_read(
        self, user_id: uuid.UUID, at: datetime, *, kinds: list[str] | None = None
    ) -> int:
        """Every unread notification of the user read (``kinds``: only those kinds)."""
        stmt = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        if kinds is not None:
            if not kinds:
                return 0
            stmt = stmt.where(Notification.kind.in_(kinds))
        result = self.session.execute(stmt.values(read_at=at))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
