"""All of the lists' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, not_, or_, select

from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import MEMBERSHIP, FieldSpec, apply_filters, parse_filters
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
MAX_LIST_DEPTH = 4  # a dynamic list may name lists that name lists ... this deep


def split_filter(text: str | None) -> list[str]:
    """A dynamic list's saved filter text (one expression per line) as a list."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def too_deep() -> ValidationFailed:
    return ValidationFailed(f"lists may name lists at most {MAX_LIST_DEPTH} deep", field="filters")


class ListMembership:
    """The ``list`` pseudo field of an object that can be in lists (nexa.core.filtering's
    Membership): ``list:eq:<id>`` and friends. A static list's members are its
    ``list_members`` rows; a dynamic list's the records its saved filter matches, as an
    uncorrelated subquery on the same table. Visibility is the outer statement's: this only
    narrows a ``readable(actor)`` select. A list is known when it exists, is not in the bin
    and holds this kind of record (every role reads every list). ``depth`` counts the
    dynamic lists already being expanded (a guard against a cycle saved in a race)."""

    def __init__(self, repo: Repository[Any], depth: int = 0) -> None:
        self.repo = repo
        self.depth = depth
        self._lists: dict[uuid.UUID, RecordList] = {}

    def lists(self, ids: list[uuid.UUID], param: str) -> list[RecordList]:
        missing = [i for i in ids if i not in self._lists]
        if missing:
            stmt = select(RecordList).where(
                RecordList.id.in_(missing),
                RecordList.deleted_at.is_(None),
                RecordList.object_type == self.repo.object_name,
            )
            for row in self.repo.session.scalars(unscoped(stmt)):
                self._lists[row.id] = row
        bad = next((i for i in ids if i not in self._lists), None)
        if bad is not None:
            raise ValidationFailed(
                f"there is no list of {self.repo.object_name}s with id {bad}", field=param
            )
        return [self._lists[i] for i in ids]

    def check(self, list_ids: list[uuid.UUID], param: str) -> None:
        self.lists(list_ids, param)

    def clause(self, op: str, list_ids: list[uuid.UUID]) -> ColumnElement[bool]:
        held = [self._held(lst) for lst in self.lists(list_ids, "filter[list]")]
        if op in ("eq", "in"):
            return or_(*held)
        return and_(*(not_(h) for h in held))

    def _held(self, lst: RecordList) -> ColumnElement[bool]:
        model = self.repo.model
        if lst.kind == "static":
            return model.id.in_(select(ListMember.record_id).where(ListMember.list_id == lst.id))
        if self.depth >= MAX_LIST_DEPTH:
            raise too_deep()
        fields = dict(self.repo.fields())  # type: ignore[attr-defined]
        fields["list"] = membership_field(self.repo, self.depth + 1)
        make = getattr(self.repo, "list_contains", None)
        contains = make() if callable(make) else None
        conditions = parse_filters(split_filter(lst.filter), fields)
        inner = apply_filters(select(model.id), conditions, fields, contains).correlate(None)
        return model.id.in_(inner)


def membership_field(repo: Repository[Any], depth: int = 0) -> FieldSpec:
    """The ``list`` pseudo field for ``repo``'s records (leads, contacts, accounts)."""
    return FieldSpec("list", ListMembership(repo, depth), MEMBERSHIP)


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

    def by_id_any(self, list_id: uuid.UUID | None) -> RecordList | None:
        """System view: a live list by id, whoever owns it (cycle checks see every list)."""
        if list_id is None:
            return None
        stmt = select(RecordList).where(RecordList.id == list_id, RecordList.deleted_at.is_(None))
        return self.session.scalars(unscoped(stmt)).first()

    def ids_of(self, stmt: Select[Any]) -> set[uuid.UUID]:
        return set(self.session.scalars(stmt))

    def id_list(self, stmt: Select[Any]) -> list[uuid.UUID]:
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
