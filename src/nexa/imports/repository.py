"""All of the imports' SQL. An import is seen by whoever started it and by admins; the
lookups are deliberate system views (``unscoped``) with that rule written here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.repository import unscoped
from nexa.models import DataImport, DataImportIssue

# what an import found in its file rather than was asked to do (new_fields' report)
NOT_SETTINGS = ("fields",)


def _settings_of(mapping: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k not in NOT_SETTINGS}


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, import_id: uuid.UUID) -> DataImport | None:
        stmt = select(DataImport).where(DataImport.id == import_id)
        return self.session.scalars(unscoped(stmt)).first()

    @staticmethod
    def visible_to(actor: Actor, data_import: DataImport) -> bool:
        return actor.is_admin or (
            actor.user_id is not None and data_import.owner_id == actor.user_id
        )

    def unfinished_twin(
        self,
        actor: Actor,
        *,
        object_type: str,
        sha256: str,
        mapping: dict[str, Any],
        on_duplicate: str,
        create_fuzzy: bool,
    ) -> DataImport | None:
        """The newest import by ``actor`` of the same file and settings that did not finish."""
        stmt = (
            select(DataImport)
            .where(
                DataImport.file_sha256 == sha256,
                DataImport.object_type == object_type,
                DataImport.owner_id == actor.user_id,
                DataImport.status.in_(("pending", "running", "failed")),
                DataImport.on_duplicate == on_duplicate,
                DataImport.create_fuzzy == create_fuzzy,
            )
            .order_by(DataImport.created_at.desc())
        )
        settings = _settings_of(mapping)
        for candidate in self.session.scalars(unscoped(stmt)):
            if _settings_of(candidate.mapping) == settings:
                return candidate
        return None

    def issues(
        self, import_id: uuid.UUID, *, after: int, limit: int, kind: str | None = None
    ) -> list[DataImportIssue]:
        stmt = (
            select(DataImportIssue)
            .where(DataImportIssue.import_id == import_id, DataImportIssue.row_number > after)
            .order_by(DataImportIssue.row_number)
            .limit(limit)
        )
        if kind:
            stmt = stmt.where(DataImportIssue.kind == kind)
        return list(self.session.scalars(stmt))

    def count_issues(self, import_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(DataImportIssue.import_id == import_id)
        return int(self.session.scalar(stmt) or 0)

    def clear_issues(self, import_id: uuid.UUID) -> None:
        self.session.execute(delete(DataImportIssue).where(DataImportIssue.import_id == import_id))
