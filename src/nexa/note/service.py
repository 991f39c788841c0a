"""Notes on any record: they show on that record's timeline."""

from __future__ import annotations

from typing import Any

from nexa.models import Note
from nexa.note.events import NOTE_EVENTS
from nexa.note.repository import NoteRepository
from nexa.record.registry import require_readable_link
from nexa.record.service import RecordService


class NoteService(RecordService[Note]):
    events = NOTE_EVENTS
    model = Note
    repository = NoteRepository
    label = "note"
    not_empty = ("body", "pinned")

    def payload(self, record: Note) -> dict[str, Any]:
        return {
            "body": record.body[:200],
            "related_type": record.related_type,
            "related_id": str(record.related_id) if record.related_id else None,
        }

    def prepare(self, values: dict[str, Any], record: Note | None) -> dict[str, Any]:
        link = {
            "related_type": values.get("related_type", record.related_type if record else None),
            "related_id": values.get("related_id", record.related_id if record else None),
        }
        if record is None or {"related_type", "related_id"} & values.keys():
            require_readable_link(self.session, self.actor, **_link_args(link))
        return values


def _link_args(link: dict[str, Any]) -> dict[str, Any]:
    return {"record_type": link["related_type"], "record_id": link["related_id"]}
