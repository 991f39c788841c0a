"""All of the saved views' SQL."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nexa.models import SavedView


class ViewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def visible_to(self, user_id: uuid.UUID, object_name: str) -> list[SavedView]:
        """The user's own views of ``object_name`` and the shared ones, by name."""
        return list(
            self.session.scalars(
                select(SavedView)
                .where(
                    SavedView.object_name == object_name,
                    or_(SavedView.owner_id == user_id, SavedView.shared.is_(True)),
                )
                .order_by(SavedView.name, SavedView.id)
            )
        )
