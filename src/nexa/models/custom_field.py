from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, TimestampMixin, UUIDPkMixin, VersionedMixin

FIELD_TYPES = (
    "text",
    "number",
    "money",
    "date",
    "boolean",
    "select",
    "multiselect",
    "email",
    "url",
)


class CustomField(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    """An admin-defined typed field; ``key`` is stable, ``label`` may change."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("object_type", "key"),)

    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    field_type: Mapped[str] = mapped_column(String(20), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    options: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
