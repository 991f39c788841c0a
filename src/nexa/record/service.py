"""The life cycle every record type shares, as a class a domain service specialises.

A subclass names its model, repository and events, and overrides the hooks it needs:
``prepare`` (normalise and validate column values, check references), ``on_insert`` (values
drawn only once a create passed its checks: numbers from a sequence), ``payload``/
``event_payload`` (what the events carry), ``write_related`` (input that is not a column,
such as an account's team, written in the same transaction and reported as changes),
``after_create``/``after_update`` (side effects in the same transaction), ``list_contains``
and ``unique`` (live-uniqueness rules answered with 409 naming the field).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import EventType, publish
from nexa.core.filtering import ListQuery
from nexa.core.ownership import check_owner
from nexa.core.records import (
    apply_changes,
    check_version,
    delete_record,
    list_records,
    restore_record,
)
from nexa.core.repository import REPOSITORIES, Repository
from nexa.core.text import text_key
from nexa.metadata import service as metadata
from nexa.models import User
from nexa.record.events import RecordPayload
from nexa.record.repository import copy_timeline, move_linked, value_holder
from nexa.record.shapes import shape_payload

M = TypeVar("M")


@dataclass(frozen=True)
class Unique:
    """A field unique among live records, compared by its key column ``<field>_key``
    (nexa.core.text.text_key: case, width, accents written two ways and invisible characters
    do not make two values different), backed by a partial unique index on the key."""

    field: str
    index: str
    noun: str = "record"
    # the 409's message; {label}, {field} and {value} are filled in
    message: str = "a {label} with {field} {value} already exists"
    restore_message: str = "another live {label} has {field} {value}; change it first"
    # when the record holding the value is one the actor cannot read: that it exists is all
    # uniqueness must tell (PRODUCT.md, duplicates) — never its id, name or owner
    hidden_message: str = "a {label} with this {field} already exists that you cannot see"

    @property
    def key(self) -> str:
        return f"{self.field}_key"

    def clash(
        self,
        label: str,
        value: Any,
        *,
        restoring: bool = False,
        holder: uuid.UUID | None = None,
        visible: bool = True,
    ) -> Conflict:
        """The 409; ``holder``: the record that has the value, named only when ``visible``."""
        if not visible:
            text = self.hidden_message
        else:
            text = self.restore_message if restoring else self.message
        extra: dict[str, Any] = {"existing_id": str(holder)} if holder and visible else {}
        return Conflict(
            text.format(label=label, field=self.field, value=value), field=self.field, **extra
        )


def check_reference(
    session: Session,
    actor: Actor,
    repository: type[Repository[Any]] | str,
    record_id: uuid.UUID | None,
    field: str,
    *,
    message: str | None = None,
) -> Any:
    """The referenced record if ``actor`` can read it; 422 naming ``field`` otherwise.
    ``repository`` may be an object name ("account"): the registry finds its repository, so
    a domain checks a reference to another without importing it (no cycle between them)."""
    if record_id is None:
        return None
    repo = REPOSITORIES[repository] if isinstance(repository, str) else repository
    try:
        return repo(session).get(actor, record_id)
    except NotFound:
        raise ValidationFailed(
            message or f"no {repo.object_name} with this id that you can see", field=field
        ) from None


def carry_over(
    session: Session,
    source: tuple[str, uuid.UUID],
    linked_to: tuple[str, uuid.UUID],
    timeline_to: list[tuple[str, uuid.UUID]],
) -> dict[str, int]:
    """What one record leaves to the records it becomes (a lead converted): everything
    linked to ``source`` (tasks, notes, meetings, calls, emails) moves to ``linked_to``, and
    ``source``'s timeline is copied onto each of ``timeline_to``. Rows moved, by table."""
    moved = move_linked(session, source, linked_to)
    copy_timeline(session, source, timeline_to)
    return moved


class RecordService(Generic[M]):
    model: ClassVar[type[Any]]
    repository: ClassVar[type[Repository[Any]]]
    label: ClassVar[str]  # "deal", "meeting" (used in messages)
    default_sort: ClassVar[str] = "-created_at"
    not_empty: ClassVar[tuple[str, ...]] = ()
    unique: ClassVar[tuple[Unique, ...]] = ()
    owned: ClassVar[bool] = True
    custom_fields: ClassVar[bool] = False
    # columns the API never writes directly (computed, or changed through a flow)
    computed: ClassVar[tuple[str, ...]] = ()
    # input fields that are not columns (an account's team): kept out of the column values
    # and handed to ``write_related`` once the record exists
    related_fields: ClassVar[tuple[str, ...]] = ()
    # the 403's message when the actor may not create this kind of record
    create_denied: ClassVar[str] = "you may not create {object} records"
    # whether events carry ``owner_id`` (then "*.created" tells an owner someone else
    # created the record for them)
    announce_owner: ClassVar[bool] = True
    # the events this object publishes (declared in its domain's events.py)
    events: ClassVar[list[EventType]] = []

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.repo = self.repository(session)

    @property
    def object_name(self) -> str:
        return self.repository.object_name

    # -- hooks --------------------------------------------------------------------------
    def payload(self, record: M) -> dict[str, Any]:
        return {"name": getattr(record, "name", None) or getattr(record, "title", None)}

    def record_payload(self, record: M) -> RecordPayload:
        """``payload`` as it may leave (record/shapes.py: the field rules), typed as the
        payload of a deleted or restored event."""
        return RecordPayload.of(shape_payload(self.object_name, self.payload(record)))

    def event_payload(self, verb: str, record: M) -> dict[str, Any]:
        """What the ``<object>.<verb>`` event carries (``payload`` unless a verb says more)."""
        return self.payload(record)

    def prepare(self, values: dict[str, Any], record: M | None) -> dict[str, Any]:
        """Check and complete column values (``record`` is None on create)."""
        return values

    def on_insert(self, values: dict[str, Any]) -> dict[str, Any]:
        """Complete a new row's values once every check passed (numbers from a sequence)."""
        return values

    def write_related(
        self, record: M, related: dict[str, Any], *, created: bool
    ) -> dict[str, tuple[Any, Any]]:
        """Write the ``related_fields`` the input gave; return what changed (for the event)."""
        return {}

    def before_created_event(self, record: M) -> None:
        """Rows that belong to the record's creation and that the ``created`` event's
        subscribers read (a deal's first stage-history row): written before it is published."""
        return None

    def after_create(self, record: M) -> None:
        return None

    def after_update(self, record: M, changes: dict[str, tuple[Any, Any]]) -> None:
        return None

    def list_contains(self) -> Any:
        return None

    # -- the life cycle -------------------------------------------------------------------
    def values_of(self, data: BaseModel, *, partial: bool) -> dict[str, Any]:
        exclude = {"custom_fields", *self.computed, *self.related_fields}
        values = data.model_dump(exclude_unset=partial, exclude=exclude)
        if partial:
            for name in self.not_empty:
                if name in values and values[name] is None:
                    raise ValidationFailed(f"{name} cannot be empty", field=name)
        for name in ("tags", "competitors"):
            if name in values and values[name] is None:
                values[name] = []
        return values

    def related_of(self, data: BaseModel, *, partial: bool) -> dict[str, Any]:
        given = data.model_fields_set
        return {
            name: getattr(data, name)
            for name in self.related_fields
            if not partial or name in given
        }

    def check_owner(self, owner_id: uuid.UUID, *, current: uuid.UUID | None) -> None:
        check_owner(
            self.actor,
            self.object_name,
            owner_id,
            current=current,
            load_user=lambda uid: self.session.get(User, uid),
        )

    def check_unique(
        self, values: dict[str, Any], exclude_id: uuid.UUID | None, *, restoring: bool = False
    ) -> None:
        for rule in self.unique:
            value = values.get(rule.field)
            holder = self.holder(rule, value, exclude_id) if value else None
            if holder is not None:
                visible = self.repo.can_read(self.actor, holder)
                raise rule.clash(
                    self.label, value, restoring=restoring, holder=holder, visible=visible
                )

    def holder(self, rule: Unique, value: str, exclude_id: uuid.UUID | None) -> uuid.UUID | None:
        """The live record whose key equals ``value``'s (system view: uniqueness sees every
        record, readable or not)."""
        return value_holder(self.session, self.model, rule.key, text_key(value), exclude_id)

    def flush(self, record: M) -> None:
        """Flush; a twin that slipped past ``check_unique`` in a concurrent request is
        stopped by the partial unique index and still answers 409 naming the field."""
        values = {rule.field: getattr(record, rule.field) for rule in self.unique}
        try:
            self.session.flush()
        except IntegrityError as exc:
            text = str(exc.orig)
            table = self.model.__tablename__
            for rule in self.unique:
                # PostgreSQL names the index; SQLite names the indexed column
                if rule.index in text or f"{table}.{rule.key}" in text:
                    raise rule.clash(self.label, values[rule.field]) from None
            raise

    def publish(self, verb: str, record: M, changes: dict[str, Any] | None = None) -> None:
        data = self.event_payload(verb, record)
        if self.owned and self.announce_owner and getattr(record, "owner_id", None) is not None:
            data.setdefault("owner_id", str(record.owner_id))  # type: ignore[attr-defined]
        # shaped as it may leave (record/shapes.py: the field rules), then typed
        payload = RecordPayload.of(shape_payload(self.object_name, data))
        publish(
            self.session,
            self.actor,
            f"{self.object_name}.{verb}",
            record_type=self.object_name,
            record_id=record.id,  # type: ignore[attr-defined]
            changes=changes,
            payload=payload,
        )

    def create(self, data: BaseModel, **extra: Any) -> M:
        if not self.actor.can(f"{self.object_name}:create"):
            raise PermissionDenied(self.create_denied.format(object=self.object_name))
        values = self.values_of(data, partial=False)
        related = self.related_of(data, partial=False)
        values.update(extra)
        if self.owned:
            owner_id = values.pop("owner_id", None) or self.actor.user_id
            if owner_id is not None:
                self.check_owner(owner_id, current=None)
            values["owner_id"] = owner_id
        values = self.prepare(values, None)
        self.check_unique(values, None)
        if self.custom_fields:
            values["custom_fields"] = metadata.validate_values(
                self.session, self.object_name, getattr(data, "custom_fields", None)
            )
        record = self.model(id=uuid.uuid4(), **self.on_insert(values))
        self.session.add(record)
        self.flush(record)
        if related:
            self.write_related(record, related, created=True)
        self.before_created_event(record)
        self.publish("created", record)
        self.after_create(record)
        return record

    def get(self, record_id: uuid.UUID) -> M:
        return self.repo.get(self.actor, record_id)

    def get_for(self, record_id: uuid.UUID, action: str) -> M:
        return self.repo.get_for(self.actor, record_id, action)

    def update(self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None) -> M:
        record = self.get_for(record_id, "write")
        check_version(record, if_match)
        values = self.values_of(data, partial=True)
        related = self.related_of(data, partial=True)
        return self.apply(record, values, getattr(data, "custom_fields", None), related)

    def apply(
        self,
        record: M,
        values: dict[str, Any],
        custom: dict[str, Any] | None = None,
        related: dict[str, Any] | None = None,
    ) -> M:
        """Apply checked changes to ``record`` and publish ``.updated`` with the diff."""
        if self.owned and "owner_id" in values:
            new_owner = values["owner_id"]
            if new_owner is None:
                raise ValidationFailed("owner_id cannot be empty", field="owner_id")
            if new_owner != record.owner_id:  # type: ignore[attr-defined]
                self.repo.require(self.actor, record, "reassign")
                self.check_owner(new_owner, current=record.owner_id)  # type: ignore[attr-defined]
        values = self.prepare(values, record)
        changed = {k: v for k, v in values.items() if getattr(record, k) != v}
        self.check_unique(changed, record.id)  # type: ignore[attr-defined]
        changes = apply_changes(record, values)
        if self.custom_fields and custom is not None:
            current = record.custom_fields  # type: ignore[attr-defined]
            new_custom = metadata.validate_values(self.session, self.object_name, custom, current)
            for key in set(new_custom) | set(current):
                if new_custom.get(key) != current.get(key):
                    changes[f"custom.{key}"] = (current.get(key), new_custom.get(key))
            record.custom_fields = new_custom  # type: ignore[attr-defined]
        if related:
            changes.update(self.write_related(record, related, created=False))
        if changes:
            self.flush(record)
            self.publish("updated", record, changes)
            self.after_update(record, changes)
        return record

    def delete(self, record_id: uuid.UUID, *, if_match: int | None = None) -> M:
        return delete_record(
            self.repo, self.actor, record_id, if_match=if_match, payload=self.record_payload
        )

    def restore(self, record_id: uuid.UUID) -> M:
        def check_clash(record: M) -> None:
            values = {rule.field: getattr(record, rule.field) for rule in self.unique}
            self.check_unique(values, record.id, restoring=True)  # type: ignore[attr-defined]

        return restore_record(
            self.repo,
            self.actor,
            record_id,
            check_clash=check_clash,
            payload=self.record_payload,
            flush=self.flush,
        )

    def list(self, query: ListQuery) -> tuple[list[M], str | None]:
        return list_records(
            self.repo,
            self.actor,
            query,
            default_sort=self.default_sort,
            list_contains=self.list_contains(),
        )


ServiceFactory = Callable[[Session, Actor], RecordService[Any]]
