from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import Base, TimestampMixin, UUIDPkMixin, VersionedMixin
from nexa.core.text import text_key


class Team(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (Index("uq_teams_name_key", "name_key", unique=True),)

    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL", use_alter=True), nullable=True
    )

    @validates("name")
    def _keep_name_key(self, _: str, value: str | None) -> str | None:
        """``name_key`` follows ``name`` (nexa.core.text: what uniqueness compares)."""
        self.name_key = text_key(value)
        return value
