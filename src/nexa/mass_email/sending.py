"""The send itself, on the worker (``nexa.mass_email.jobs``).

* ``run_send``: the first run writes one ``mass_email_recipients`` row per member of the
  list the owner can read (one transaction: all of them or none; unique per mass email and
  record), the A/B test share split evenly among the variants in a random order drawn from
  the mass email's own seed, and the seed list's copies. Then chunk by chunk (a commit each)
  the pending recipients get their message through ``nexa.email.bulk.queue_bulk`` —
  suppression, consent and tracking applied at this moment — and their row records the
  message or why it was skipped, in the same transaction. A run killed between chunks and
  run again takes up the rows still pending: nobody is queued twice.
* ``pick_winner``: once the test has waited its hours, the human opens, clicks or replies
  per variant decide (``nexa.mass_email.winner``), the rest of the list gets the winner.
* ``due``: what the minute's periodic task starts.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.auth.service import actor_for
from nexa.core.actor import Actor
from nexa.core.db import session_scope
from nexa.email.bulk import queue_bulk, queue_copies
from nexa.mass_email import winner
from nexa.mass_email.repository import MassEmailRepository
from nexa.mass_email.service import (
    OBJECT,
    MassEmailService,
    current_time,
    seed_addresses,
    variant_send,
)
from nexa.models import MassEmail
from nexa.record.service import check_reference
from nexa.segment import service as segment_service

Sessions = Callable[[], AbstractContextManager[Session]]
CHUNK = 500
SENDABLE = ("scheduled", "testing", "sending")


class ChunkTaken(RuntimeError):
    """Another run of the same send took these recipients first (this chunk rolls back)."""


def _owner(session: Session, record: MassEmail) -> Actor | None:
    user = MassEmailRepository(session).user(record.owner_id)
    if user is None or not user.is_active:
        return None
    return actor_for(session, user)


def _publish(session: Session, actor: Actor, verb: str, record: MassEmail) -> None:
    MassEmailService(session, actor).publish(verb, record)


def assign(
    member_ids: list[uuid.UUID], variants: int, test_share: int, seed: int
) -> list[tuple[uuid.UUID, str, int | None]]:
    """(record id, phase, variant) per member: with one variant everyone gets it; otherwise
    ``test_share`` % of the list (at least one per variant) in a random order drawn from
    ``seed``, split evenly among the variants, and the rest waiting for the winner."""
    ids = sorted(member_ids)
    random.Random(seed).shuffle(ids)
    if variants <= 1:
        return [(i, "all", 0) for i in ids]
    size = min(len(ids), max(variants, round(len(ids) * test_share / 100)))
    test = [(record_id, "test", n % variants) for n, record_id in enumerate(ids[:size])]
    return test + [(record_id, "rest", None) for record_id in ids[size:]]


def _start(session: Session, actor: Actor, record: MassEmail, now: datetime) -> None:
    """The recipient rows and the seed copies, in one transaction."""
    repo = MassEmailRepository(session)
    lst, members = segment_service.member_ids(session, actor, record.list_id)
    rows = [
        {
            "id": uuid.uuid4(),
            "mass_email_id": record.id,
            "record_id": record_id,
            "phase": phase,
            "variant": variant,
            "state": "pending",
            "reason": None,
            "email_id": None,
            "created_at": now,
            "queued_at": None,
        }
        for record_id, phase, variant in assign(
            members, len(record.variants), record.test_share, record.random_seed
        )
    ]
    repo.insert_recipients(rows)
    seeds = seed_addresses(session, record)
    if seeds:
        for i in range(len(record.variants)):
            queue_copies(
                session,
                actor,
                variant_send(record, i, [uuid.UUID(int=0)], lst.object_type),
                seeds,
                related=(OBJECT, record.id),
                subject_prefix=f"[Seed {winner.letter(i)}] "
                if len(record.variants) > 1
                else "[Seed] ",
            )
    record.status = "testing" if len(record.variants) > 1 else "sending"
    record.started_at = now
    session.flush()


def _chunk(session: Session, actor: Actor, record: MassEmail, size: int, now: datetime) -> int:
    """Queue one chunk of pending recipients; how many rows it settled (0: none left)."""
    repo = MassEmailRepository(session)
    pending = repo.pending(record.id, size)
    if not pending:
        return 0
    if repo.claim([row_id for row_id, _, _ in pending]) != len(pending):
        raise ChunkTaken(record.id)
    record_type = check_reference(session, actor, "list", record.list_id, "list_id").object_type
    by_variant: dict[int, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    for row_id, record_id, variant in pending:
        by_variant.setdefault(variant, []).append((row_id, record_id))
    marks: list[dict[str, Any]] = []
    for variant, rows in sorted(by_variant.items()):
        data = variant_send(record, variant, [r for _, r in rows], record_type)
        queued, skipped = queue_bulk(session, actor, data)
        reasons = {s.record_id: s.reason for s in skipped}
        for row_id, record_id in rows:
            email_id = queued.get(record_id)
            marks.append(
                {
                    "row_id": row_id,
                    "state": "queued" if email_id is not None else "skipped",
                    "email_id": email_id,
                    "reason": None if email_id is not None else reasons.get(record_id, "skipped"),
                    "queued_at": now,
                }
            )
    repo.mark(marks)
    return len(marks)


def _finish(session: Session, actor: Actor, record: MassEmail, now: datetime) -> None:
    if record.status == "testing":
        if record.test_ends_at is None:
            record.test_ends_at = now + timedelta(hours=record.wait_hours)
    elif record.status == "sending":
        record.status = "sent"
        record.finished_at = now
        session.flush()
        _publish(session, actor, "sent", record)
    session.flush()


def run_send(
    mass_email_id: uuid.UUID,
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    chunk_size: int = CHUNK,
    max_chunks: int | None = None,
) -> dict[str, int]:
    """Write the messages of a due mass email, a chunk per transaction (see the module's
    docstring). ``max_chunks``: stop after so many (a test's interruption)."""
    settled = chunks = 0
    try:
        settled, chunks = _run(mass_email_id, now, sessions, chunk_size, max_chunks)
    except ChunkTaken:
        return {"settled": 0, "chunks": 0, "taken_by_another_run": 1}
    return {"settled": settled, "chunks": chunks}


def _run(
    mass_email_id: uuid.UUID,
    now: datetime | None,
    sessions: Sessions,
    chunk_size: int,
    max_chunks: int | None,
) -> tuple[int, int]:
    settled = chunks = 0
    while True:
        with sessions() as session:
            repo = MassEmailRepository(session)
            record = repo.by_id(mass_email_id)
            moment = current_time(now)
            if record is None or record.deleted_at is not None or record.status not in SENDABLE:
                break
            if record.status == "scheduled" and record.send_at and record.send_at > moment:
                break
            actor = _owner(session, record)
            if actor is None:
                record.status = "cancelled"
                record.ab_result = {"sentence": "Cancelled: its owner is no longer active."}
                break
            if record.started_at is None:
                _start(session, actor, record, moment)
                continue
            done = _chunk(session, actor, record, chunk_size, moment)
            if not done:
                _finish(session, actor, record, moment)
                break
            settled += done
            chunks += 1
        if max_chunks is not None and chunks >= max_chunks:
            break
    return settled, chunks


def pick_winner(
    mass_email_id: uuid.UUID,
    *,
    now: datetime | None = None,
    sessions: Sessions = session_scope,
    chunk_size: int = CHUNK,
) -> dict[str, Any]:
    """Decide the A/B test once it has waited its hours, then send the rest the winner."""
    with sessions() as session:
        repo = MassEmailRepository(session)
        record = repo.by_id(mass_email_id)
        moment = current_time(now)
        if (
            record is None
            or record.status != "testing"
            or record.test_ends_at is None
            or record.test_ends_at > moment
        ):
            return {"picked": 0}
        actor = _owner(session, record)
        if actor is None:
            return {"picked": 0}
        field = {"open": "opened", "click": "clicked", "reply": "replied"}[record.metric]
        arms = {i: winner.Arm(variant=i, sent=0, hits=0) for i in range(len(record.variants))}
        for row in repo.counts(record.id, phase="test"):
            if row["variant"] is not None:
                arms[row["variant"]] = winner.Arm(row["variant"], row["delivered"], row[field])
        result = winner.decide(list(arms.values()), record.metric, record.confidence)
        record.winner = result["winner"]
        record.ab_result = result
        record.status = "sending"
        repo.assign_rest(record.id, result["winner"])
        session.flush()
        _publish(session, actor, "winner_picked", record)
    sent = run_send(mass_email_id, now=now, sessions=sessions, chunk_size=chunk_size)
    return {"picked": 1, "winner": result["winner"], **sent}


def due(session: Session, now: datetime | None = None) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """(to send, to decide) at ``now``."""
    return MassEmailRepository(session).due(current_time(now))
