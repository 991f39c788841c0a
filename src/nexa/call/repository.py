"""All of the calls' SQL."""

from __future__ import annotations

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import LinkedRepository
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

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(
            Call, KINDS, SORTABLE, {"direction": CALL_DIRECTIONS, "outcome": CALL_OUTCOMES}
        )
