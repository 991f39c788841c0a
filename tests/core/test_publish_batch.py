"""publish_batch leaves, for each event, what publish leaves: the same timeline entries, audit
rows and outbox rows, and the same scores, with subscribers that have a batch form run once
and the others once per event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.audit import AuditEntry
from nexa.core.events import OutboxMessage, publish, publish_batch, subscribe
from nexa.core.repository import unscoped
from nexa.email.events import EmailPayload
from nexa.models import Activity, Lead
from tests.factories.lead import make_lead


def payload(lead: Any, n: int) -> EmailPayload:
    return EmailPayload(
        name=f"Message {n}",
        message_id=f"<{n}@example.com>",
        kind="transactional",
        state="sent",
        to=["x@example.org"],
        related_type="lead",
        related_id=str(lead.id),
    )


def left_behind(db: Any, ids: list[uuid.UUID], lead: Any) -> dict[str, Any]:
    db.flush()
    timeline = db.execute(
        unscoped(
            select(Activity.record_type, Activity.event, Activity.summary, Activity.data)
            .where(Activity.event == "email.sent")
            .order_by(Activity.summary, Activity.record_type)
        )
    ).all()
    audit = db.execute(
        unscoped(
            select(AuditEntry.event, AuditEntry.record_type).where(AuditEntry.event == "email.sent")
        )
    ).all()
    outbox = db.execute(
        unscoped(
            select(OutboxMessage.event, OutboxMessage.payload)
            .where(OutboxMessage.event == "email.sent")
            .order_by(OutboxMessage.record_type)
        )
    ).all()
    score = db.scalar(unscoped(select(Lead.score).where(Lead.id == lead.id)))
    return {
        "timeline": [
            (r, e, s, {k: v for k, v in d.items() if k != "source"}) for r, e, s, d in timeline
        ],
        "sources": sorted(
            str(d.get("source", {}).get("record_id") in {str(i) for i in ids}) for *_, d in timeline
        ),
        "audit": sorted(audit),
        "outbox": sorted(str(p).replace(str(lead.id), "LEAD") for _, p in outbox),
        "score": score,
    }


def test_a_batch_leaves_what_one_publish_per_event_leaves(db: Any) -> None:
    lead = make_lead(db, email="one@example.org")
    ids = [uuid.uuid4() for _ in range(3)]
    for n, i in enumerate(ids):
        publish(
            db, SYSTEM, "email.sent", record_type="email", record_id=i, payload=payload(lead, n)
        )
    one_by_one = left_behind(db, ids, lead)
    db.rollback()

    lead = make_lead(db, email="one@example.org")
    publish_batch(
        db, SYSTEM, "email.sent", [("email", i, payload(lead, n)) for n, i in enumerate(ids)]
    )
    batched = left_behind(db, ids, lead)

    assert one_by_one["timeline"] and one_by_one["audit"] and one_by_one["outbox"]
    assert batched == one_by_one


def test_subscribers_without_a_batch_form_run_once_per_event(db: Any) -> None:
    seen: list[str] = []

    @subscribe("email.sent")
    def count(session: Any, event: Any) -> None:
        seen.append(event.payload.name)

    try:
        lead = make_lead(db, email="two@example.org")
        publish_batch(
            db, SYSTEM, "email.sent", [("email", uuid.uuid4(), payload(lead, n)) for n in range(4)]
        )
        assert seen == ["Message 0", "Message 1", "Message 2", "Message 3"]
    finally:
        from nexa.core import events

        events._subscribers.remove(("email.sent", count))
