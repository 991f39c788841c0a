from __future__ import annotations

from sqlalchemy import Boolean, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import (
    Base,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.models.related import RelatedMixin


class Note(
    UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, RelatedMixin, Base
):
    """A note on a record; ``owner_id`` is its author."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_related", "related_type", "related_id"),)

    body: Mapped[str] = mapped_column(Text, nullable=False)
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
