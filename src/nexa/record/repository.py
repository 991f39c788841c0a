"""The record services' own SQL: whether a live record already holds a unique value."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexa.core.repository import unscoped


def value_holder(
    session: Session, model: Any, key_column: str, key: str | None, exclude_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The live ``model`` row whose ``key_column`` is ``key`` (nexa.core.text.text_key), if
    any: the system view, since uniqueness sees every record, readable or not."""
    if key is None:
        return None
    column = getattr(model, key_column)
    stmt = select(model.id).where(column == key, column.is_not(None))
    if hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    found: uuid.UUID | None = session.scalars(unscoped(stmt.limit(1))).first()
    return found
