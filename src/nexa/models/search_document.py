from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, UTCDateTime


class SearchDocument(Base):
    """One row per searchable record (lead, contact, account, deal): the text global search
    matches. The migration adds the engine's index over it: an external-content FTS5 table
    kept in step by triggers on SQLite, a generated ``tsvector`` column with a GIN index on
    PostgreSQL. ``rowid`` is the FTS5 content row id."""

    __tablename__ = "search_documents"

    rowid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, unique=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
