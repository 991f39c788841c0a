"""Background job runs as rows the admin sees; outbox delivery; queue depth and age."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa import modules
from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied
from nexa.core.events import OutboxMessage
from nexa.job import repository as repo
from nexa.models import JobRun

DeliveryHandler = Callable[[Session, OutboxMessage], Any]
_handlers: list[tuple[str, DeliveryHandler]] = []
MAX_ATTEMPTS = 12
_domain_handlers: list[tuple[str, DeliveryHandler]] | None = None


def domain_handlers() -> list[tuple[str, DeliveryHandler]]:
    """The domains' outbox handlers (nexa.modules.OUTBOX_HANDLERS), imported once."""
    global _domain_handlers
    if _domain_handlers is None:
        _domain_handlers = [
            (prefix, getattr(module, attribute))
            for (_, attribute, prefix), module in zip(
                modules.OUTBOX_HANDLERS,
                modules.load(name for name, _, _ in modules.OUTBOX_HANDLERS),
                strict=True,
            )
        ]
    return _domain_handlers


def on_delivery(prefix: str) -> Callable[[DeliveryHandler], DeliveryHandler]:
    """Register what happens after commit for events starting with ``prefix``
    (webhooks, email, pushes). Handlers must be safe to run twice."""

    def register(fn: DeliveryHandler) -> DeliveryHandler:
        _handlers.append((prefix, fn))
        return fn

    return register


def deliver_outbox(session: Session, ids: list[str] | None = None, batch: int = 200) -> int:
    """Deliver pending outbox rows (given ids, or every due one). Safe to run twice."""
    handlers = [*_handlers, *domain_handlers()]
    now = utcnow()
    delivered = 0
    for message in repo.due_outbox(session, now, ids, batch):
        try:
            with session.begin_nested():
                for prefix, handler in handlers:
                    if message.event.startswith(prefix):
                        handler(session, message)
            message.delivered_at = utcnow()
            delivered += 1
        except Exception as exc:  # one bad message must not block the rest
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.available_at = utcnow() + timedelta(seconds=min(3600, 2**message.attempts))
            if message.attempts >= MAX_ATTEMPTS:
                message.delivered_at = utcnow()  # dead-lettered: last_error says why
    session.flush()
    return delivered


def start_run(session: Session, name: str, task_id: str | None, args: Any) -> JobRun:
    run = JobRun(
        id=uuid.uuid4(),
        name=name,
        task_id=task_id,
        args=args,
        status="running",
        started_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session, run_id: uuid.UUID, *, error: str | None = None, result: Any = None
) -> None:
    run = session.get(JobRun, run_id)
    if run is None:
        return
    run.finished_at = utcnow()
    run.duration_ms = (run.finished_at - run.started_at).total_seconds() * 1000
    run.status = "failed" if error else "succeeded"
    run.error = error
    run.result = result


def list_runs(
    session: Session, actor: Actor, *, name: str | None = None, limit: int = 50
) -> list[JobRun]:
    if not actor.can("job:read"):
        raise PermissionDenied("only admins can see job runs")
    return repo.recent_runs(session, name, limit)


# ---- queue depth and age ----------------------------------------------------------------

# A task id with its enqueue time in front ("1796000000.123456-<uuid>"): Huey keeps no
# enqueue time, so the worker's Huey instances stamp each task id (nexa.worker.StampedHuey).
_STAMP = re.compile(r"^(\d+\.\d{6})-")
# How many of the next pending tasks are read for the oldest age (a task retried after a
# delay goes back at the end of its queue with its first enqueue time).
AGE_WINDOW = 1000


def stamp_task_id(task_id: str, now: float | None = None) -> str:
    return f"{time.time() if now is None else now:.6f}-{task_id}"


def is_stamped(task_id: str) -> bool:
    return _STAMP.match(task_id) is not None


def enqueued_at(task_id: str) -> float | None:
    """The epoch seconds a stamped task id was enqueued (None: not stamped)."""
    found = _STAMP.match(task_id)
    return float(found.group(1)) if found else None


@dataclass(frozen=True)
class QueueStats:
    queue: str
    pending: int  # waiting for a worker thread
    scheduled: int  # waiting for their time (delayed retries)
    oldest_age_seconds: float | None  # None: nothing pending (or no stamped task)

    @property
    def oldest_age(self) -> str:
        """The oldest pending job's wait, as a person reads it ("8 min 36 s"; "—": none)."""
        if self.oldest_age_seconds is None:
            return "—"
        seconds = round(self.oldest_age_seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes} min"
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"

    @property
    def summary(self) -> str:
        text = f"{self.queue}: {self.pending} pending"
        if self.oldest_age_seconds is not None:
            text += f" (oldest {self.oldest_age})"
        if self.scheduled:
            text += f", {self.scheduled} scheduled"
        return text


def queue_stats(
    hueys: Mapping[str, Any], *, actor: Actor = SYSTEM, now: float | None = None
) -> list[QueueStats]:
    """Depth and oldest pending age of each queue (``hueys``: queue name -> Huey instance),
    read from the job storage itself (SQLite or Redis)."""
    if not actor.can("job:read"):
        raise PermissionDenied("only admins can see the job queues")
    now = time.time() if now is None else now
    found = []
    for queue, huey in hueys.items():
        pending = huey.pending_count()
        stamps = []
        if pending:
            for data in huey.storage.enqueued_items(AGE_WINDOW):
                stamp = enqueued_at(str(huey.serializer.deserialize(data).id))
                if stamp is not None:
                    stamps.append(stamp)
        found.append(
            QueueStats(
                queue=queue,
                pending=pending,
                scheduled=huey.scheduled_count(),
                oldest_age_seconds=max(0.0, now - min(stamps)) if stamps else None,
            )
        )
    return found
