"""Domain events: declared once, published inside the transaction, delivered after commit.

``publish`` (a) runs the in-transaction subscribers (audit rows, timeline entries, side
effects) and (b) writes an outbox row. Both live and die with the caller's transaction.
After commit, ``run_after_commit`` hands the outbox ids to the delivery job; a crash after
commit loses nothing because the outbox row is already stored.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import types
import typing
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from sqlalchemy import Index, Integer, String, Table, Text, Uuid, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexa.core.actor import Actor
from nexa.core.db.base import Base
from nexa.core.db.types import JSONType, UTCDateTime, utcnow


class Unset:
    """The type of ``UNSET``: a payload field left out of the JSON (not even ``null``)."""

    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()


@dataclass(frozen=True, kw_only=True)
class EventPayload:
    """Base of every event's payload class: a frozen dataclass whose fields are the keys of
    the JSON the outbox stores (a field holding ``UNSET`` is left out; a ``details`` mapping,
    where a class has one, is spread in after the named fields). A field whose JSON key is
    not a Python name (``from``) says so with ``json_key("from")``."""

    # fields placed last in the JSON, after ``details`` (a record's owner)
    trailing: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        tail: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is UNSET:
                continue
            if f.name == "details":
                data.update(value)
            elif f.name in self.trailing:
                tail[_key(f)] = value
            else:
                data[_key(f)] = value
        return {**data, **tail}

    # What the cross-cutting subscribers (timeline, notifications) read of any payload.
    @property
    def label(self) -> str | None:
        """The record's name, as people read it (None when the payload names nothing)."""
        return _optional_str(getattr(self, "name", None))

    @property
    def owner(self) -> str | None:
        return _optional_str(getattr(self, "owner_id", None))

    @property
    def links(self) -> list[tuple[str, str]]:
        """Other records this event concerns: the linked record, then ``also_on``."""
        pairs: list[tuple[str, str]] = []
        related_type = getattr(self, "related_type", None)
        related_id = getattr(self, "related_id", None)
        if related_type and related_id:
            pairs.append((str(related_type), str(related_id)))
        for record_type, record_id in getattr(self, "also_on", None) or ():
            pairs.append((str(record_type), str(record_id)))
        return pairs


def json_key(key: str) -> dict[str, str]:
    """Field metadata naming the JSON key of a field: ``field(metadata=json_key("from"))``."""
    return {"json": key}


def _key(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("json", f.name))


def _optional_str(value: Any) -> str | None:
    return None if value is None or value is UNSET else str(value)


@dataclass(frozen=True)
class EventType:
    name: str
    permission: str
    description: str
    payload: type[EventPayload]


REGISTRY: dict[str, EventType] = {}


def declare(
    name: str, *, payload: type[EventPayload], permission: str, description: str
) -> EventType:
    """Declare an event once, with its payload class and the permission a reader needs to
    see it."""
    if not (isinstance(payload, type) and issubclass(payload, EventPayload)):
        raise TypeError(f"event {name!r}: the payload must be an EventPayload class")
    params = vars(payload).get("__dataclass_params__")  # the class itself, not a base
    if params is None or not params.frozen:
        raise TypeError(f"event {name!r}: {payload.__name__} must be a frozen dataclass")
    existing = REGISTRY.get(name)
    if existing is not None:
        if existing.payload is not payload:
            raise TypeError(
                f"event {name!r} is declared with {existing.payload.__name__}"
                f" and again with {payload.__name__}"
            )
        return existing
    REGISTRY[name] = event_type = EventType(name, permission, description, payload)
    return event_type


def check_payload(event_type: EventType, payload: object) -> EventPayload:
    """``payload`` if it is exactly the class ``event_type`` was declared with."""
    if type(payload) is not event_type.payload:
        raise TypeError(
            f"event {event_type.name!r} carries {event_type.payload.__name__},"
            f" not {type(payload).__name__}"
        )
    return payload


# ---- the payloads described for readers (the webhook catalogue) ---------------------------

_JSON_TYPES: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    Decimal: {"type": "string", "format": "decimal"},
    Any: {},
}


def _schema_of(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = [_schema_of(a) for a in typing.get_args(tp) if a is not Unset]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (list, tuple) or (isinstance(origin, type) and issubclass(origin, list | tuple)):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        items = _schema_of(args[0]) if len(args) == 1 else {"type": "array"}
        if origin is tuple and len(args) > 1:
            items = {"type": "array", "items": [_schema_of(a) for a in args]}
        return {"type": "array", "items": items}
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return {"type": "object"}
    if tp in _JSON_TYPES:
        return dict(_JSON_TYPES[tp])
    if isinstance(tp, type) and issubclass(tp, Mapping):
        return {"type": "object"}
    return {}


def payload_schema(payload: type[EventPayload]) -> dict[str, Any]:
    """A JSON-schema-like description of a payload class: its fields, their types, which are
    always present; ``changes`` (field → [before, after]) is added to every payload."""
    hints = typing.get_type_hints(payload)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(payload):
        tp = hints[f.name]
        if f.name == "details":
            continue
        properties[_key(f)] = _schema_of(tp)
        if Unset not in typing.get_args(tp):
            required.append(_key(f))
    properties["changes"] = {
        "type": "object",
        "additionalProperties": {"type": "array", "items": [{}, {}]},
    }
    required.append("changes")
    schema: dict[str, Any] = {
        "title": payload.__name__,
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if any(f.name == "details" for f in dataclasses.fields(payload)):
        schema["additionalProperties"] = True
    return schema


@dataclass
class Event:
    id: uuid.UUID
    type: EventType
    record_type: str
    record_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    actor_name: str
    occurred_at: datetime
    payload: EventPayload
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.type.name


Subscriber = Callable[[Session, Event], None]
_subscribers: list[tuple[str, Subscriber]] = []
_installed = False


def subscribe(pattern: str) -> Callable[[Subscriber], Subscriber]:
    """Register an in-transaction subscriber for events whose name matches ``pattern``."""

    def register(fn: Subscriber) -> Subscriber:
        if (pattern, fn) not in _subscribers:
            _subscribers.append((pattern, fn))
        return fn

    return register


BatchSubscriber = Callable[[Session, list[Event]], None]
_batch_forms: dict[Subscriber, BatchSubscriber] = {}


def batch_form(subscriber: Subscriber) -> Callable[[BatchSubscriber], BatchSubscriber]:
    """Register what ``subscriber`` does for many events at once (``publish_batch``): the same
    rows, written in a few statements instead of one per event."""

    def register(fn: BatchSubscriber) -> BatchSubscriber:
        _batch_forms[subscriber] = fn
        return fn

    return register


def subscribers_of(event_name: str) -> list[Subscriber]:
    """The in-transaction subscribers ``publish`` runs for ``event_name``, in order."""
    return [fn for pattern, fn in _subscribers if fnmatch.fnmatchcase(event_name, pattern)]


def mark_installed() -> None:
    global _installed
    _installed = True


class OutboxMessage(Base):
    """An event waiting for delivery after commit (webhooks, emails, pushes, automations)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event: Mapped[str] = mapped_column(String(80), nullable=False)
    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


def publish(
    session: Session,
    actor: Actor,
    event_name: str,
    *,
    record_type: str,
    record_id: uuid.UUID | None,
    payload: EventPayload,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> Event:
    """Publish ``event_name`` with ``payload``, an instance of the class it was declared with
    (a dict or another class is a TypeError)."""
    if not _installed:
        raise RuntimeError("event subscribers are not installed; call nexa.subscribers.install()")
    event_type = REGISTRY.get(event_name)
    if event_type is None:
        raise KeyError(f"event {event_name!r} is not declared")
    check_payload(event_type, payload)
    event = Event(
        id=uuid.uuid4(),
        type=event_type,
        record_type=record_type,
        record_id=record_id,
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        occurred_at=utcnow(),
        payload=payload,
        changes=changes or {},
    )
    for pattern, subscriber in list(_subscribers):
        if fnmatch.fnmatchcase(event_name, pattern):
            subscriber(session, event)
    session.add(
        OutboxMessage(
            id=event.id,
            event=event_name,
            record_type=record_type,
            record_id=record_id,
            actor_id=actor.user_id,
            payload=outbox_payload(event),
            created_at=event.occurred_at,
            available_at=event.occurred_at,
        )
    )
    pending: list[uuid.UUID] = session.info.setdefault("outbox_ids", [])
    pending.append(event.id)
    return event


def run_batch_forms(session: Session, events: list[Event], names: Collection[str]) -> None:
    """Run, for ``events`` (one name), the batch forms of the subscribers named
    (``module.qualname``): what a bulk path that writes the other effects itself leaves to
    those subscribers (``nexa.deal.bulk``)."""
    if not events:
        return
    for pattern, subscriber in list(_subscribers):
        name = f"{subscriber.__module__}.{subscriber.__qualname__}"
        many = _batch_forms.get(subscriber)
        if name in names and many is not None and fnmatch.fnmatchcase(events[0].name, pattern):
            many(session, events)


def publish_batch(
    session: Session,
    actor: Actor,
    event_name: str,
    items: list[tuple[str, uuid.UUID | None, EventPayload]],
) -> list[Event]:
    """``publish`` for many events of one name at once (bulk email, deliveries): each
    subscriber with a ``batch_form`` runs once for them all, the others once per event, in
    the order they were registered; the outbox rows are one executemany. What is left behind
    is what ``publish`` leaves for each event."""
    if not _installed:
        raise RuntimeError("event subscribers are not installed; call nexa.subscribers.install()")
    event_type = REGISTRY.get(event_name)
    if event_type is None:
        raise KeyError(f"event {event_name!r} is not declared")
    if not items:
        return []
    now = utcnow()
    events = [
        Event(
            id=uuid.uuid4(),
            type=event_type,
            record_type=record_type,
            record_id=record_id,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            occurred_at=now,
            payload=check_payload(event_type, payload),
        )
        for record_type, record_id, payload in items
    ]
    for pattern, subscriber in list(_subscribers):
        if not fnmatch.fnmatchcase(event_name, pattern):
            continue
        many = _batch_forms.get(subscriber)
        if many is not None:
            many(session, events)
        else:
            for event in events:
                subscriber(session, event)
    session.execute(insert(OUTBOX), [outbox_row(e) for e in events])
    session.info.setdefault("outbox_ids", []).extend(e.id for e in events)
    return events


def outbox_row(event: Event) -> dict[str, Any]:
    """The outbox row of ``event`` as an executemany takes it (every column named)."""
    return {
        "id": event.id,
        "event": event.name,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "actor_id": event.actor_id,
        "payload": outbox_payload(event),
        "created_at": event.occurred_at,
        "available_at": event.occurred_at,
        "delivered_at": None,
        "attempts": 0,
        "last_error": None,
    }


def outbox_payload(event: Event) -> dict[str, Any]:
    """The JSON an outbox row stores for ``event``: its payload's fields and ``changes``."""
    return jsonable({**event.payload.to_json(), "changes": event.changes})


def jsonable(value: Any) -> Any:
    """Turn Decimals, UUIDs, datetimes and tuples into JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# ---- after-commit work ------------------------------------------------------------------

JobDispatcher = Callable[..., None]
_job_dispatchers: dict[str, JobDispatcher] = {}


def register_job(name: str, dispatcher: JobDispatcher) -> None:
    """Jobs modules register how to enqueue a named job; services refer to it by name."""
    _job_dispatchers[name] = dispatcher


def enqueue_after_commit(session: Session, job_name: str, *args: Any) -> None:
    session.info.setdefault("after_commit_jobs", []).append((job_name, args))


def enqueue_batched_after_commit(session: Session, job_name: str, item: Any, *, batch: int) -> None:
    """Queue ``job_name`` after commit with a list of items, adding ``item`` to the list of
    the job queued last by this call while it holds fewer than ``batch``: many outbox rows
    of a commit become a few jobs (one SMTP connection per batch of emails)."""
    jobs = session.info.setdefault("after_commit_jobs", [])
    if jobs:
        name, args = jobs[-1]
        batched = session.info.get(("batched", job_name))
        if name == job_name and args and args[0] is batched and len(batched) < batch:
            batched.append(item)
            return
    items = [item]
    session.info[("batched", job_name)] = items
    jobs.append((job_name, (items,)))


def run_after_commit(session: Session) -> None:
    """Called by whoever committed: hand outbox rows and queued jobs to the worker."""
    outbox_ids = session.info.pop("outbox_ids", [])
    jobs = session.info.pop("after_commit_jobs", [])
    if outbox_ids and "outbox.deliver" in _job_dispatchers:
        _job_dispatchers["outbox.deliver"]([str(i) for i in outbox_ids])
    for job_name, args in jobs:
        dispatcher = _job_dispatchers.get(job_name)
        if dispatcher is not None:
            dispatcher(*args)


def discard_after_commit(session: Session) -> None:
    session.info.pop("outbox_ids", None)
    session.info.pop("after_commit_jobs", None)
