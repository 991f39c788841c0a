"""All of the lists' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, func, select

from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.core.text import text_key
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

    def members_of(self, list_id: uuid.UUID) -> Select[Any]:
        """Ids of the records in static list ``list_id`` (a subquery)."""
        return select(ListMember.record_id).where(ListMember.list_id == list_id)

    def ids_of(self, stmt: Select[Any]) -> list[uuid.UUID]:
        """The ids a one-column statement selects."""
        return list(self.session.scalars(stmt))

    def count_rows(self, stmt: Select[Any]) -> int:
        return int(self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    def ids_for(
        self, target: Repository[Any], actor: Actor, ids: list[uuid.UUID], *, action: str
    ) -> set[uuid.UUID]:
        """Those of ``ids`` (records of ``target``) that ``actor`` may ``action``."""
        model = target.model
        readable = target.readable(actor, action=action)
        return set(
            self.session.scalars(readable.with_only_columns(model.id).where(model.id.in_(ids)))
        )

    def static_holding(
        self, actor: Actor, record_type: str, record_id: uuid.UUID
    ) -> list[RecordList]:
        """The static lists of ``record_type`` that ``actor`` can read and that hold the record."""
        return list(
            self.session.scalars(
                self.readable(actor).where(
                    RecordList.kind == "static",
                    RecordList.object_type == record_type,
                    RecordList.id.in_(self.static_lists_of(record_id)),
                )
            ).all()
        )

    def dynamic_of(self, actor: Actor, record_type: str) -> list[RecordList]:
        return list(
            self.session.scalars(
                self.readable(actor).where(
                    RecordList.kind == "dynamic", RecordList.object_type == record_type
                )
            ).all()
        )

    def any_row(self, stmt: Select[Any]) -> bool:
        return self.session.scalars(stmt.limit(1)).first() is not None

    def live_name_taken(self, name: str) -> bool:
        """A list not in the bin is called ``name`` (by its key, nexa.core.text), whoever
        owns it."""
        clash = select(RecordList.id).where(
            RecordList.deleted_at.is_(None), RecordList.name_key == text_key(name)
        )
        return self.session.scalars(unscoped(clash)).first() is not None
