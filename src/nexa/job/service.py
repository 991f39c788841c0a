"""Background job runs as rows the admin sees; outbox delivery."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied
from nexa.core.events import OutboxMessage
from nexa.models import JobRun

DeliveryHandler = Callable[[Session, OutboxMessage], Any]
_handlers: list[tuple[str, DeliveryHandler]] = []
MAX_ATTEMPTS = 12
# Domains whose after-commit work hangs off the outbox: (module, handler, event prefix).
HANDLERS = (("nexa.webhook.service", "fan_out", ""),)
_domain_handlers: list[tuple[str, DeliveryHandler]] | None = None


def domain_handlers() -> list[tuple[str, DeliveryHandler]]:
    """The domains' outbox handlers (webhooks: every event), imported once."""
    global _domain_handlers
    if _domain_handlers is None:
        from nexa.core.modules import import_if_present

        found = []
        for module_name, attribute, prefix in HANDLERS:
            module = import_if_present(module_name)
            if module is not None:
                found.append((prefix, getattr(module, attribute)))
        _domain_handlers = found
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
    stmt = select(OutboxMessage).where(
        OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= now
    )
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_([uuid.UUID(i) for i in ids]))
    delivered = 0
    for message in session.scalars(stmt.order_by(OutboxMessage.created_at).limit(batch)):
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
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id).limit(limit)
    if name:
        stmt = stmt.where(JobRun.name == name)
    return list(session.scalars(stmt))
