from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, OwnedMixin, TimestampMixin, UTCDateTime, UUIDPkMixin

IMPORT_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
IMPORT_OBJECTS = ("lead", "contact", "account", "deal")
DUPLICATE_MODES = ("skip", "update")


class DataImport(UUIDPkMixin, TimestampMixin, OwnedMixin, Base):
    """An import of a CSV/XLSX file. Each batch of rows commits together with
    ``rows_done`` (the checkpoint), so a killed import resumes exactly where it stopped.
    The file is kept ``NEXA_IMPORT_FILE_RETENTION_DAYS`` after the import finished; the sweep
    that deletes it sets ``file_removed_at``."""

    __tablename__ = "data_imports"

    object_type: Mapped[str] = mapped_column(String(20), nullable=False)
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    stored_path: Mapped[str] = mapped_column(String(500), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    on_duplicate: Mapped[str] = mapped_column(String(10), nullable=False, default="skip")
    create_fuzzy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    batch_size: Mapped[int] = mapped_column(Integer, nullable=False, default=500)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fuzzy_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # when the stored file was deleted (retention after the import finished)
    file_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DataImportIssue(Base):
    """A row that failed, was skipped as a duplicate, or has fuzzy duplicate candidates."""

    __tablename__ = "data_import_issues"

    import_id: Mapped[Any] = mapped_column(
        Uuid, ForeignKey("data_imports.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # invalid/duplicate/fuzzy
    field: Mapped[str | None] = mapped_column(String(100), nullable=True)
    message: Mapped[str] = mapped_column(String(1000), nullable=False)
    record_id: Mapped[Any | None] = mapped_column(Uuid, nullable=True)
