from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, UTCDateTime, UUIDPkMixin, utcnow


class LoginAttempt(UUIDPkMixin, Base):
    """Sign-in attempts per client address: rate limiting that survives restarts, and the
    failures per (email, client address) that make that address wait (``throttled``: refused
    while waiting, without checking the password; not counted as a failure)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_client", "client", "attempted_at"),
        Index("ix_login_attempts_email_client", "email", "client", "attempted_at"),
    )

    client: Mapped[str] = mapped_column(String(64), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    throttled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
