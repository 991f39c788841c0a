"""SMS delivery, after commit on the ``deliveries`` queue (at least once): ``deliver`` claims
the due messages (a compare-and-set in one short transaction, with a lease), hands each to
the provider with no transaction open, and stores each answer the moment it comes, with its
event, in a short transaction of its own — a worker killed mid-batch sends again only the
message in flight (after the lease). Sent → ``sms.sent`` (the record's timeline); no answer,
a 5xx, 408 or 429 → queued again after the backoff, the error kept; any other refusal, or too
many attempts → ``failed``. A person who opted out since the message was queued gets nothing:
the message is ``refused`` (``sms.failed``). ``deliver_due`` is the minute sweep."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import SYSTEM
from nexa.core.db import session_scope, utcnow
from nexa.core.events import publish
from nexa.core.secretbox import SecretUnreadable
from nexa.sms import transport
from nexa.sms.events import FAILED, SENT
from nexa.sms.repository import SmsRepository
from nexa.sms.service import _payload, provider_config, refusal_text, refusals
from nexa.sms.transport import Outgoing, ProviderConfig, Result

# The wait after the 1st, 2nd … failed attempt: about 10 hours in all, then it has failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)
BATCH = 100

Sessions = Callable[[], AbstractContextManager[Session]]
Sender = Callable[[ProviderConfig, Outgoing], Result]


def outcome(attempts: int, result: Result, now: datetime) -> dict[str, Any]:
    """The columns one attempt's result sets."""
    if result.outcome == "sent":
        return {
            "state": "sent",
            "sent_at": now,
            "provider_message_id": result.provider_message_id,
            "next_attempt_at": None,
            "error": None,
        }
    if result.outcome == "retry" and attempts < MAX_ATTEMPTS:
        return {
            "state": "queued",
            "next_attempt_at": now + BACKOFF[max(attempts, 1) - 1],
            "error": result.detail,
        }
    detail = result.detail or "refused by the provider"
    if result.outcome == "retry":
        detail = f"{detail} (gave up after {attempts} attempts)"
    return {"state": "failed", "next_attempt_at": None, "error": detail}


def _store(session: Session, message_id: uuid.UUID, values: dict[str, Any]) -> str | None:
    """Store one outcome and publish its event in the same transaction."""
    row = SmsRepository(session).store_outcome(message_id, values)
    if row is None:
        return None
    event = SENT if row.state == "sent" else FAILED if row.state in ("failed", "refused") else None
    if event is not None:
        publish(
            session, SYSTEM, event.name, record_type="sms", record_id=row.id, payload=_payload(row)
        )
    return row.state


def claim(
    session: Session, ids: list[uuid.UUID], now: datetime
) -> tuple[ProviderConfig | None, list[Outgoing], list[tuple[uuid.UUID, dict[str, Any]]]]:
    """Take the due messages among ``ids`` for one attempt: the provider settings, what to
    send, and outcomes decided without the provider (opted out since queued; not set up)."""
    try:
        config = provider_config(session)
    except SecretUnreadable:
        config = None
    messages = SmsRepository(session).claim(ids, now, now + LEASE)
    decided: list[tuple[uuid.UUID, dict[str, Any]]] = []
    outgoing: list[Outgoing] = []
    by_type: dict[str, list[tuple[uuid.UUID, str]]] = {}
    blocked: dict[tuple[str, uuid.UUID], str]
    for m in messages:
        if m.related_type and m.related_id:
            by_type.setdefault(m.related_type, []).append((m.related_id, m.to_number))
    blocked = {
        (record_type, record_id): reason
        for record_type, people in by_type.items()
        for record_id, reason in refusals(session, record_type, people).items()
    }
    for m in messages:
        why = blocked.get((m.related_type or "", m.related_id))  # type: ignore[arg-type]
        if why is not None:
            decided.append(
                (m.id, {"state": "refused", "next_attempt_at": None, "error": refusal_text(why)})
            )
        elif config is None:
            result = Result("retry", None, "SMS is not set up (or its secret is unreadable)")
            decided.append((m.id, outcome(m.attempts, result, now)))
        else:
            outgoing.append(Outgoing(m.id, m.to_number, m.body, m.attempts))
    return config, outgoing, decided


def deliver(
    ids: list[uuid.UUID],
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    sender: Sender = transport.send,
) -> dict[str, int]:
    """One attempt of each due message among ``ids`` (see the module docstring). Returns
    how many ended in each state."""
    when = now or utcnow()
    counts: dict[str, int] = {}

    def count(state: str | None) -> None:
        if state is not None:
            counts[state] = counts.get(state, 0) + 1

    with sessions() as session:
        config, outgoing, decided = claim(session, ids, when)
        for message_id, values in decided:
            count(_store(session, message_id, values))
    if config is None:
        return counts
    for item in outgoing:
        result = sender(config, item)
        with sessions() as session:
            count(_store(session, item.id, outcome(item.attempts, result, now or utcnow())))
    return counts


def deliver_due(
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    sender: Sender = transport.send,
) -> dict[str, int]:
    """The periodic sweep: the due queued messages (retries, and what a crash left), in
    batches."""
    when = now or utcnow()
    with sessions() as session:
        ids = SmsRepository(session).due_ids(when, BATCH * 20)
    totals: dict[str, int] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        for state, n in deliver(batch, now=when, sessions=sessions, sender=sender).items():
            totals[state] = totals.get(state, 0) + n
    return totals
