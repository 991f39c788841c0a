"""The record services' own SQL: whether a live record already holds a unique value."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexa.core.repository import unscoped


def value_taken(
    session: Session, model: Any, field: str, value: str, exclude_id: uuid.UUID | None
) -> bool:
    """Whether a live ``model`` row holds ``value`` in ``field`` (case-insensitive; the system
    view: uniqueness sees every record, readable or not)."""
    column = getattr(model, field)
    stmt = select(model.id).where(func.lower(column) == func.lower(str(value)))
    if hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return session.scalars(unscoped(stmt)).first() is not None
