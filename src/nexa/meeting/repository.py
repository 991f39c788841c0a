"""All of the meetings' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import LinkedRepository
from nexa.models import Meeting, MeetingAttendee
from nexa.models.meeting import MEETING_STATUSES

KINDS = {
    "id": "uuid",
    "title": "str",
    "status": "enum",
    "starts_at": "datetime",
    "ends_at": "datetime",
    "location": "str",
    "related_type": "str",
    "related_id": "uuid",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"title", "starts_at", "ends_at", "created_at", "updated_at"}


class MeetingRepository(LinkedRepository[Meeting]):
    model = Meeting
    object_name = "meeting"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(Meeting, KINDS, SORTABLE, {"status": MEETING_STATUSES})

    def attendees_of(
        self, meeting_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[MeetingAttendee]]:
        """The attendees of many meetings in one query (the meetings were read already)."""
        ids = list(dict.fromkeys(meeting_ids))
        found: dict[uuid.UUID, list[MeetingAttendee]] = {i: [] for i in ids}
        if not ids:
            return found
        stmt = (
            select(MeetingAttendee)
            .where(MeetingAttendee.meeting_id.in_(ids))
            .order_by(
                MeetingAttendee.meeting_id,
                func.coalesce(MeetingAttendee.name, MeetingAttendee.email, ""),
                MeetingAttendee.id,
            )
        )
        for row in self.session.scalars(stmt):
            found[row.meeting_id].append(row)
        return found

    def remove_attendees(self, rows: Iterable[MeetingAttendee]) -> None:
        ids = [r.id for r in rows]
        if ids:
            self.session.execute(delete(MeetingAttendee).where(MeetingAttendee.id.in_(ids)))
