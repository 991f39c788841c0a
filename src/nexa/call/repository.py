"""All of the calls' SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import LinkedRepository, unscoped
from nexa.models import Call
from nexa.models.call import CALL_DIRECTIONS, CALL_OUTCOMES

KINDS = {
    "id": "uuid",
    "subject": "str",
    "direction": "enum",
    "phone_number": "str",
    "contact_id": "uuid",
    "started_at": "datetime",
    "duration_seconds": "int",
    "outcome": "enum",
    "related_type": "str",
    "related_id": "uuid",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"subject", "started_at", "duration_seconds", "created_at", "updated_at"}


class CallRepository(LinkedRepository[Call]):
    model = Call
    object_name = "call"

    # ---- the recording files (system views: the sweep sees every call, binned ones too) ----

    def with_recording_before(self, before: datetime) -> list[Call]:
        """Calls that started before ``before`` and still have a recording."""
        stmt = select(Call).where(Call.recording_path.is_not(None), Call.started_at < before)
        return list(self.session.scalars(unscoped(stmt)))

    def recordings_in_use(self, paths: list[str]) -> set[str]:
        """Which of ``paths`` (relative to the var folder) a call points at."""
        found: set[str] = set()
        for start in range(0, len(paths), 500):
            stmt = select(Call.recording_path).where(
                Call.recording_path.in_(paths[start : start + 500])
            )
            found.update(p for p in self.session.scalars(unscoped(stmt)) if p)
        return found

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(
            Call, KINDS, SORTABLE, {"direction": CALL_DIRECTIONS, "outcome": CALL_OUTCOMES}
        )
