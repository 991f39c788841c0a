"""All of the notes' SQL."""

from __future__ import annotations

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import LinkedRepository
from nexa.models import Note

KINDS = {
    "id": "uuid",
    "body": "str",
    "pinned": "bool",
    "related_type": "str",
    "related_id": "uuid",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"created_at", "updated_at"}


class NoteRepository(LinkedRepository[Note]):
    model = Note
    object_name = "note"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(Note, KINDS, SORTABLE)
