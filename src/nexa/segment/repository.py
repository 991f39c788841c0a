"""All of the lists' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.models import ListMember, RecordList
from nexa.models.record_list import LIST_KINDS, LIST_OBJECTS

KINDS = {
    "id": "uuid",
    "name": "str",
    "description": "str",
    "kind": "enum",
    "object_type": "enum",
    "system_key": "str",
    "is_locked": "bool",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"name", "created_at", "updated_at"}
CHOICES = {"kind": LIST_KINDS, "object_type": LIST_OBJECTS}


class ListRepository(Repository[RecordList]):
    model = RecordList
    object_name = "list"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(RecordList, KINDS, SORTABLE, CHOICES)

    def by_system_key(self, key: str) -> RecordList | None:
        """System view: the product's own list, whoever asks."""
        stmt = select(RecordList).where(RecordList.system_key == key)
        return self.session.scalars(unscoped(stmt)).first()

    def member_ids(self, list_id: uuid.UUID, record_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        stmt = select(ListMember.record_id).where(
            ListMember.list_id == list_id, ListMember.record_id.in_(list(record_ids))
        )
        return set(self.session.scalars(stmt))

    def remove_members(self, list_id: uuid.UUID, record_ids: list[uuid.UUID]) -> None:
        self.session.execute(
            delete(ListMember).where(
                ListMember.list_id == list_id, ListMember.record_id.in_(record_ids)
            )
        )

    def static_lists_of(self, record_id: uuid.UUID) -> Select[Any]:
        """Ids of the static lists holding ``record_id`` (a subquery)."""
        return select(ListMember.list_id).where(ListMember.record_id == record_id)
