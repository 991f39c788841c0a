from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, UTCDateTime, UUIDPkMixin, utcnow


class LoginAttempt(UUIDPkMixin, Base):
    """Sign-in attempts per client address: rate limiting that survives restarts."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_client", "client", "attempted_at"),)

    client: Mapped[str] = mapped_column(String(64), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
