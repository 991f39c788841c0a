"""Deliveries to a real HTTP receiver on loopback (allow-listed for the test): every event once
while it is up; retries with backoff on a frozen clock, then dead; all delivered or dead after
an outage; redelivery with the same webhook-id; signatures verify."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from nexa.contact.schemas import ContactUpdate
from nexa.contact.service import update_contact
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.models import WebhookAttempt, WebhookDelivery
from nexa.webhook import service
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.webhook.conftest import Pump, Receiver, allow, register


def deliveries(db: Any, endpoint_id: uuid.UUID) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.scalars(stmt.execution_options(populate_existing=True)))


def make_some_events(db: Any, n: int = 3) -> set[uuid.UUID]:
    """Leads, a deal and a contact change; returns the outbox ids they wrote."""
    before = set(db.scalars(select(OutboxMessage.id)))
    for _ in range(n):
        make_lead(db)
    make_deal(db)
    contact = make_contact(db)
    update_contact(db, SYSTEM, contact.id, ContactUpdate(title="Head of Buying"))
    db.flush()
    return set(db.scalars(select(OutboxMessage.id))) - before


def test_receiver_up_every_event_once_signed(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["*"])
    events = make_some_events(db)
    assert pump() == len(events)

    assert len(receiver.requests) == len(events)
    ids = receiver.ids()
    assert len(set(ids)) == len(ids), "a webhook-id arrived twice"
    bodies = [json.loads(r.body) for r in receiver.requests]
    types = Counter(b["type"] for b in bodies)
    assert types["lead.created"] == 3 and types["deal.created"] == 1
    assert types["contact.updated"] == 1
    for request in receiver.requests:
        assert request.path == "/hooks"
        assert request.headers["content-type"] == "application/json"
        assert service.verify_signature(endpoint.secret, request.headers, request.body)
        assert not service.verify_signature(endpoint.secret, request.headers, request.body + b" ")
    lead_body = next(b for b in bodies if b["type"] == "lead.created")
    assert lead_body["data"]["record_type"] == "lead"
    assert uuid.UUID(lead_body["data"]["record_id"])
    assert lead_body["data"]["actor"] == {"id": None, "name": "Nexa"}
    assert {str(d.event_id) for d in deliveries(db, endpoint.id)} == {str(e) for e in events}
    rows = deliveries(db, endpoint.id)
    assert all(d.status == "succeeded" and d.response_status == 204 for d in rows)
    # the worker running the outbox or the sweep again sends nothing twice
    assert pump() == 0
    assert service.deliver_due(sessions=pump.sessions, now=utcnow() + timedelta(days=2)) == 0
    assert len(receiver.requests) == len(events)


def test_filters_choose_the_endpoints(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    deals = register(db, receiver.url + "/deals", ["deal.*"])
    leads = register(db, receiver.url + "/leads", ["lead.created"])
    paused = register(db, receiver.url + "/paused", ["*"], active=False)
    make_lead(db)
    make_deal(db)
    pump()
    assert {d.event_type for d in deliveries(db, deals.id)} == {"deal.created"}
    assert {d.event_type for d in deliveries(db, leads.id)} == {"lead.created"}
    assert deliveries(db, paused.id) == []
    assert sorted(r.path for r in receiver.requests) == ["/hooks/deals", "/hooks/leads"]


def test_fan_out_is_idempotent(db: Any, receiver: Receiver) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.*"])
    lead = make_lead(db)
    db.flush()
    message = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.record_id == lead.id, OutboxMessage.event == "lead.created"
        )
    ).one()
    first = service.fan_out(db, message)
    second = service.fan_out(db, message)
    assert len(first) == 1 and first == second
    assert len(deliveries(db, endpoint.id)) == len(
        {d.event_id for d in deliveries(db, endpoint.id)}
    )


def test_rolled_back_change_leaves_no_delivery(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["*"])
    db.commit()
    nested = db.begin_nested()
    make_lead(db, last_name="Never Happened")
    db.flush()
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.event == "lead.created")).all()
    nested.rollback()
    db.info.pop("outbox_ids", None)  # what the request's rollback does (discard_after_commit)
    db.info.pop("after_commit_jobs", None)
    from nexa.job import service as jobs

    jobs.deliver_outbox(db)  # every pending row, as the minute sweep would
    pump()
    assert deliveries(db, endpoint.id) == []
    assert receiver.requests == []


def test_backoff_schedule_then_dead_on_a_frozen_clock(
    db: Any, receiver: Receiver, pump: Pump
) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    receiver.mode = "error"
    make_lead(db)
    t0 = utcnow()
    pump(now=t0)
    (delivery,) = deliveries(db, endpoint.id)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.response_status == 500 and "receiver broke" in (delivery.last_error or "")
    assert delivery.next_attempt_at == t0 + service.BACKOFF[0]

    now = t0
    for i, wait in enumerate(service.BACKOFF):
        # not due a moment before its time
        assert service.deliver_due(sessions=pump.sessions, now=now + wait / 2) == 0
        now = now + wait
        assert service.deliver_due(sessions=pump.sessions, now=now) == 1
        (delivery,) = deliveries(db, endpoint.id)
        assert delivery.attempts == i + 2
        if i + 1 < len(service.BACKOFF):
            assert delivery.status == "failed"
            assert delivery.next_attempt_at == now + service.BACKOFF[i + 1]
    assert delivery.status == "dead" and delivery.next_attempt_at is None
    assert delivery.attempts == service.MAX_ATTEMPTS
    assert now - t0 >= timedelta(hours=24), "retries last about a day"
    assert len(receiver.requests) == service.MAX_ATTEMPTS
    assert set(receiver.ids()) == {str(delivery.id)}, "the webhook-id is stable across retries"
    attempts = db.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id))
    assert [a.response_status for a in attempts] == [500] * service.MAX_ATTEMPTS
    assert service.deliver_due(sessions=pump.sessions, now=now + timedelta(days=3)) == 0


def test_receiver_down_then_up_nothing_lost(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["*"])
    receiver.stop()
    events = make_some_events(db, n=4)
    t0 = utcnow()
    pump(now=t0)
    rows = deliveries(db, endpoint.id)
    assert len(rows) == len(events)
    assert all(d.status == "failed" and d.response_status is None for d in rows)
    assert all("Connect" in (d.last_error or "") for d in rows)

    # still down at the first retries
    now = t0 + timedelta(seconds=5)
    assert service.deliver_due(sessions=pump.sessions, now=now) == len(events)
    receiver.start()  # back, on the same port
    now += timedelta(minutes=1)
    assert service.deliver_due(sessions=pump.sessions, now=now) == len(events)

    rows = deliveries(db, endpoint.id)
    assert {d.status for d in rows} == {"succeeded"}
    assert {str(d.event_id) for d in rows} == {str(e) for e in events}
    ids = receiver.ids()
    assert sorted(ids) == sorted(str(d.id) for d in rows), "each delivered exactly once"


def test_down_for_longer_than_a_day_goes_to_dead_letters(
    db: Any, receiver: Receiver, pump: Pump
) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    receiver.stop()
    make_lead(db)
    make_lead(db)
    t0 = utcnow()
    pump(now=t0)
    now = t0
    for wait in service.BACKOFF:
        now += wait
        service.deliver_due(sessions=pump.sessions, now=now)
    rows = deliveries(db, endpoint.id)
    assert [d.status for d in rows] == ["dead", "dead"]
    receiver.start()
    assert service.deliver_due(sessions=pump.sessions, now=now + timedelta(days=1)) == 0
    # an admin sends the dead letters again: same webhook-ids
    for d in rows:
        service.redeliver(db, SYSTEM, endpoint.id, d.id)
    pump()
    assert sorted(receiver.ids()) == sorted(str(d.id) for d in rows)
    assert {d.status for d in deliveries(db, endpoint.id)} == {"succeeded"}


def test_redelivery_of_a_success_sends_the_same_id(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    make_lead(db)
    pump()
    (delivery,) = deliveries(db, endpoint.id)
    assert delivery.status == "succeeded"
    again = service.redeliver(db, SYSTEM, endpoint.id, delivery.id)
    assert again.status == "pending"
    pump()
    assert receiver.ids() == [str(delivery.id), str(delivery.id)]
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert first == second


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(db: Any, receiver: Receiver) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    lead = make_lead(db)
    db.flush()
    message = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.record_id == lead.id, OutboxMessage.event == "lead.created"
        )
    ).one()
    (delivery_id,) = service.fan_out(db, message)
    now = utcnow()
    assert service.claim(db, delivery_id, now) is not None
    assert service.claim(db, delivery_id, now) is None  # leased
    assert service.claim(db, delivery_id, now + service.LEASE) is not None  # the lease ran out
    assert receiver.requests == []
    assert endpoint.id is not None


def test_ping(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["deal.won"])
    delivery = service.ping(db, SYSTEM, endpoint.id)
    pump()
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == str(delivery.id)
    body = json.loads(request.body)
    assert body["type"] == "webhook.ping"
    assert body["data"]["webhook_id"] == str(endpoint.id)
    assert service.verify_signature(endpoint.secret, request.headers, request.body)


def test_deleting_an_endpoint_mid_delivery_loses_nothing_else(
    db: Any, receiver: Receiver, pump: Pump
) -> None:
    allow(db, "127.0.0.1")
    keep = register(db, receiver.url + "/keep", ["lead.created"])
    gone = register(db, receiver.url + "/gone", ["lead.created"])
    make_lead(db)
    db.commit()
    service.delete_endpoint(db, SYSTEM, gone.id)
    pump()
    assert [r.path for r in receiver.requests] == ["/hooks/keep"]
    assert [d.status for d in deliveries(db, keep.id)] == ["succeeded"]
