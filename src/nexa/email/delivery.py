"""Email delivery, after commit on the ``deliveries`` queue: ``deliver`` claims the due
messages (a compare-and-set in one short transaction, with a lease), sends them over one SMTP
connection with no transaction open, stores each reply the moment it comes (its own short
transaction: a worker killed mid-batch sends again only the message in flight), then
publishes the batch's events together: sent (``email.sent`` → the record's timeline), 4xx or
a connection error → deferred with backoff, 5xx → failed with the reply kept. A suppression
added after the message was queued fails it here; the hourly per-domain limit defers what is
over it without counting an attempt. ``deliver_due`` is the minute sweep.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import session_scope, utcnow
from nexa.core.events import (
    EventPayload,
    publish_batch,
)
from nexa.core.filestore import default_store
from nexa.core.secretbox import SecretUnreadable
from nexa.email import mime
from nexa.email.events import (
    FAILED,
    SENT,
)
from nexa.email.repository import EmailRepository, InboundRepository
from nexa.email.service import _payload, refusals, smtp_config
from nexa.email.transport import Connection, Reply, SmtpConfig
from nexa.models import (
    EmailMessage,
)

# The wait after the 1st, 2nd … deferral: about 2 days in all, then the message has failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)  # the default of NEXA_EMAIL_LEASE_SECONDS


def lease() -> timedelta:
    """How long a claimed message is held by the worker sending it."""
    return timedelta(seconds=get_settings().email_lease_seconds)


Sessions = Callable[[], AbstractContextManager[Session]]
ConnectionFactory = Callable[[SmtpConfig], Connection]


# ---- delivery -----------------------------------------------------------------------------


def _outgoing(message: EmailMessage, files: tuple[tuple[str, str, str], ...] = ()) -> mime.Outgoing:
    settings = get_settings()
    unsubscribe = None
    if message.kind == "marketing":
        unsubscribe = mime.unsubscribe_url(
            settings.public_url, str(message.id), settings.effective_secret_key
        )
    return mime.Outgoing(
        id=str(message.id),
        message_id=message.message_id,
        kind=message.kind,
        from_name=message.from_name,
        from_address=message.from_address,
        from_domain=message.from_domain,
        reply_to=message.reply_to,
        to=tuple((r.get("name", ""), r["address"]) for r in message.to),
        cc=tuple((r.get("name", ""), r["address"]) for r in message.cc),
        bcc=tuple((r.get("name", ""), r["address"]) for r in message.bcc),
        subject=message.subject,
        text=message.text_body,
        html=message.html_body,
        created_at=message.created_at,
        unsubscribe_url=unsubscribe,
        attempts=message.attempts,
        in_reply_to=message.in_reply_to,
        references=message.references_header,
        attachments=files,
    )


def claim(
    session: Session, ids: list[uuid.UUID], now: datetime
) -> tuple[SmtpConfig | None, list[mime.Outgoing], list[tuple[uuid.UUID, Reply, int]]]:
    """Take the due messages among ``ids`` for one attempt. Returns the SMTP settings, what
    to send, and outcomes decided without the server (suppressed since queued), with the
    message's attempts."""
    repo = EmailRepository(session)
    try:
        config = smtp_config(session)
    except SecretUnreadable:
        config = None
    limit = get_settings().email_hourly_limit_per_domain
    counts: dict[str, int] = {}
    outgoing: list[mime.Outgoing] = []
    decided: list[tuple[uuid.UUID, Reply, int]] = []
    messages = repo.claim(ids, now, now + lease())
    addresses = [r["address"] for m in messages for r in (*m.to, *m.cc, *m.bcc)]
    blocked_all = {
        (kind, sub): refusals(session, addresses, kind, sub)
        for kind, sub in {(m.kind, m.subscription) for m in messages}
    }
    files: dict[uuid.UUID, list[tuple[str, str, str]]] = {}
    for a in InboundRepository(session).attachments_of([m.id for m in messages]):
        if a.file_key is not None:
            files.setdefault(a.email_id, []).append((a.filename, a.content_type, a.file_key))
    store = default_store() if files else None
    for message in messages:
        if config is None:
            decided.append(
                (message.id, Reply("deferred", None, "email is not set up"), message.attempts)
            )
            continue
        domain = message.from_domain
        if domain not in counts:
            counts[domain] = repo.sent_since(domain, now - timedelta(hours=1))[0]
        if counts[domain] >= limit:
            _, oldest = repo.sent_since(domain, now - timedelta(hours=1))
            until = (oldest or now) + timedelta(hours=1)
            repo.release(message.id, until, f"hourly limit of {limit} messages for {domain}")
            continue
        mine = {r["address"].lower() for r in (*message.to, *message.cc, *message.bcc)}
        blocked = {
            a: r for a, r in blocked_all[(message.kind, message.subscription)].items() if a in mine
        }
        if blocked:
            reasons = ", ".join(f"{a} ({r})" for a, r in blocked.items())
            reply = Reply("failed", None, f"suppressed: {reasons}")
            decided.append((message.id, reply, message.attempts))
            continue
        mine_files = tuple(files.get(message.id, ()))
        lost = [name for name, _, key in mine_files if store is not None and not store.exists(key)]
        if lost:
            reply = Reply("failed", None, f"attachment lost from the file store: {lost[0]}")
            decided.append((message.id, reply, message.attempts))
            continue
        counts[domain] += 1
        outgoing.append(_outgoing(message, mine_files))
    return config, outgoing, decided


def transmit(
    config: SmtpConfig,
    outgoing: list[mime.Outgoing],
    connection: ConnectionFactory = Connection,
    keep: Callable[[mime.Outgoing, Reply], None] | None = None,
) -> list[tuple[uuid.UUID, Reply]]:
    """Send each message over one connection (no transaction open), handing each reply to
    ``keep`` as soon as it comes. After a connection failure the rest of the batch is
    deferred without trying again."""
    results: list[tuple[uuid.UUID, Reply]] = []
    with connection(config) as conn:
        down: Reply | None = None
        for item in outgoing:
            reply = down or conn.send(mime.build(item), item.return_path, item.recipients)
            if reply.code is None:
                down = reply
            if keep is not None:
                keep(item, reply)
            results.append((uuid.UUID(item.id), reply))
    return results


def outcome(attempts: int, reply: Reply, now: datetime) -> dict[str, Any]:
    """The columns one attempt's reply sets: sent, the next attempt by the backoff, or
    failed (a permanent refusal, or a temporary one after ``MAX_ATTEMPTS``)."""
    state, text = reply.outcome, reply.text
    if state == "deferred" and attempts >= MAX_ATTEMPTS:
        state = "failed"
        text = f"{reply.text} (gave up after {attempts} attempts)"
    return {
        "state": state,
        "last_reply_code": reply.code,
        "last_reply": text,
        "sent_at": now if state == "sent" else None,
        "next_attempt_at": (now + BACKOFF[max(attempts, 1) - 1] if state == "deferred" else None),
    }


def publish_outcomes(session: Session, ids: list[uuid.UUID] | None = None) -> dict[str, int]:
    """The events of outcomes stored and not yet published (``outcome_pending``), among
    ``ids`` or any: each taken by one compare-and-set, so of two callers one publishes it.
    A batch's ``email.sent`` are one ``publish_batch`` (each lead scored once)."""
    counts: dict[str, int] = {}
    events: dict[str, list[tuple[str, uuid.UUID | None, EventPayload]]] = {}
    for message in EmailRepository(session).take_pending_outcomes(ids):
        counts[message.state] = counts.get(message.state, 0) + 1
        event = SENT if message.state == "sent" else FAILED if message.state == "failed" else None
        if event is not None:
            events.setdefault(event.name, []).append(("email", message.id, _payload(message)))
    for name, items in events.items():
        publish_batch(session, SYSTEM, name, items)
    return counts


def deliver(
    ids: list[uuid.UUID],
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    connection: ConnectionFactory = Connection,
) -> dict[str, int]:
    """One attempt of each due message among ``ids``: claim (one transaction), send over one
    connection (none open), each reply stored in its own short transaction the moment it
    comes — a worker killed mid-batch sends again at most the message it was sending — then
    the batch's events in one more. Returns how many ended in each state."""
    when = now or utcnow()
    with sessions() as session:
        config, outgoing, decided = claim(session, ids, when)
        repo = EmailRepository(session)
        for message_id, reply, attempts in decided:
            repo.store_outcome(message_id, outcome(attempts, reply, when))

    def keep(item: mime.Outgoing, reply: Reply) -> None:
        with sessions() as session:
            values = outcome(item.attempts, reply, utcnow() if now is None else when)
            EmailRepository(session).store_outcome(uuid.UUID(item.id), values)

    if outgoing and config is not None:
        transmit(config, outgoing, connection, keep)
    if not outgoing and not decided:
        return {}
    with sessions() as session:
        return publish_outcomes(session, ids)


def deliver_due(
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    connection: ConnectionFactory = Connection,
) -> dict[str, int]:
    """The periodic sweep: the due queued and deferred messages, in batches."""
    when = now or utcnow()
    batch = get_settings().email_batch_size
    with sessions() as session:
        repo = EmailRepository(session)
        ids = repo.due_ids(when, batch * 20)
        # outcomes a worker stored and died before publishing
        left = publish_outcomes(session, repo.stale_pending_outcomes(when - lease()))
    totals: dict[str, int] = dict(left)
    for start in range(0, len(ids), batch):
        for state, n in deliver(
            ids[start : start + batch], now=when, sessions=sessions, connection=connection
        ).items():
            totals[state] = totals.get(state, 0) + n
    return totals
