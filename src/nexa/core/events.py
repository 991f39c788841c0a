"""Domain events: declared once, published inside the transaction, delivered after commit.

``publish`` (a) runs the in-transaction subscribers (audit rows, timeline entries, side
effects) and (b) writes an outbox row. Both live and die with the caller's transaction.
After commit, ``run_after_commit`` hands the outbox ids to the delivery job; a crash after
commit loses nothing because the outbox row is already stored.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexa.core.actor import Actor
from nexa.core.db.base import Base
from nexa.core.db.types import JSONType, UTCDateTime, utcnow


@dataclass(frozen=True)
class EventType:
    name: str
    permission: str
    description: str


REGISTRY: dict[str, EventType] = {}


def declare(name: str, *, permission: str, description: str) -> EventType:
    """Declare an event once, with the permission a reader needs to see it."""
    existing = REGISTRY.get(name)
    if existing is not None:
        return existing
    REGISTRY[name] = event_type = EventType(name, permission, description)
    return event_type


@dataclass
class Event:
    id: uuid.UUID
    type: EventType
    record_type: str
    record_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    actor_name: str
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
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


def publish(
    session: Session,
    actor: Actor,
    event_name: str,
    *,
    record_type: str,
    record_id: uuid.UUID | None,
    payload: dict[str, Any] | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> Event:
    if not _installed:
        raise RuntimeError("event subscribers are not installed; call nexa.subscribers.install()")
    event_type = REGISTRY.get(event_name)
    if event_type is None:
        raise KeyError(f"event {event_name!r} is not declared")
    event = Event(
        id=uuid.uuid4(),
        type=event_type,
        record_type=record_type,
        record_id=record_id,
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        occurred_at=utcnow(),
        payload=payload or {},
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
            payload=jsonable({**event.payload, "changes": event.changes}),
            created_at=event.occurred_at,
            available_at=event.occurred_at,
        )
    )
    pending: list[uuid.UUID] = session.info.setdefault("outbox_ids", [])
    pending.append(event.id)
    return event


def jsonable(value: Any) -> Any:
    """Turn Decimals, UUIDs, datetimes and tuples into JSON-safe values."""
    from datetime import date
    from decimal import Decimal

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
