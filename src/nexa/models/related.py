from __future__ import annotations

import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column


class RelatedMixin:
    """Linked to any record (a lead, contact, account, deal, quote, order …) by type and id."""

    related_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
