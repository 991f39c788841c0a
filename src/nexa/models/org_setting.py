from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexa.core.db import Base, JSONType


class OrgSetting(Base):
    """Organization settings edited by admins (org-wide visibility defaults, …)."""

    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)


def put_setting(session: Session, key: str, value: Any) -> None:
    """Store one organization setting, replacing what was there (flushed)."""
    row = session.get(OrgSetting, key)
    if row is None:
        session.add(OrgSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()
