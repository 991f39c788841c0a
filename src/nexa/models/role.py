from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, TimestampMixin, VersionedMixin


class Role(TimestampMixin, VersionedMixin, Base):
    """A role and its grants {permission: scope}; admins can edit the grants."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    grants: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
