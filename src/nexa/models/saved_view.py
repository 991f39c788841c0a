from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, TimestampMixin, UUIDPkMixin


class SavedView(UUIDPkMixin, TimestampMixin, Base):
    """A list view a user saved: its columns, filters (the API's filter language) and sort.
    Private to its owner unless ``shared``, then every user who can list the object sees it."""

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_object_owner", "object_name", "owner_id"),)

    object_name: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    columns: Mapped[Any] = mapped_column(JSONType, nullable=True)
    filters: Mapped[Any] = mapped_column(JSONType, nullable=True)
    sort: Mapped[str | None] = mapped_column(String(80), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class ListPreference(Base):
    """The columns one user chose for one object's list view."""

    __tablename__ = "list_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    object_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    columns: Mapped[Any] = mapped_column(JSONType, nullable=True)
