from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import Base, TimestampMixin, UTCDateTime, UUIDPkMixin, VersionedMixin
from nexa.core.text import text_key


class User(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "users"
    # one user per email key (nexa.core.text): look-alike emails are one email
    __table_args__ = (Index("uq_users_email", "email_key", unique=True),)

    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(40), nullable=False, default="sales_rep")
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    timezone: Mapped[str] = mapped_column(String(60), nullable=False, default="UTC")
    # how pages write dates: iso 2026-12-07, us 12/07/2026, eu 07/12/2026, long 7 Dec 2026
    date_format: Mapped[str] = mapped_column(
        String(10), nullable=False, default="iso", server_default="iso"
    )
    # the notification centre's email channel: each notification also comes by email
    notify_by_email: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    # per kind of notification: {"assigned": {"app": true, "email": false}, …}; a kind not
    # listed comes in the app, and by email when notify_by_email is on
    notification_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @validates("email")
    def _keep_email_key(self, _: str, value: str | None) -> str | None:
        """``email_key`` follows ``email`` (nexa.core.text: what uniqueness compares)."""
        self.email_key = text_key(value)
        return value
