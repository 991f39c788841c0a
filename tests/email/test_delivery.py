"""Sending through a real SMTP server (aiosmtpd on loopback): rendered and queued in the
request's transaction, delivered after commit; 4xx and a server that is down defer (the retry
keeps the Message-ID), 5xx fails with the reply kept; the sent mail on the record's timeline."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.models import Activity, EmailMessage
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.user import make_user


def message_row(db: Any, row_id: str) -> EmailMessage:
    stmt = unscoped(select(EmailMessage).where(EmailMessage.id == uuid.UUID(row_id)))
    row = db.scalars(stmt.execution_options(populate_existing=True)).one()
    assert isinstance(row, EmailMessage)
    return row


def send(client: Any, person: Any, lead: Any, **body: Any) -> Any:
    payload = {
        "record_type": "lead",
        "record_id": str(lead.id),
        "subject": "Hello {{ lead.first_name }}",
        "text": "Dear {{ lead.first_name | default('friend') }}, from {{ organization.name }}",
        **body,
    }
    return client.post("/api/v1/emails", headers=person.headers, json=payload)


def test_rendered_queued_in_the_transaction_then_delivered(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, first_name="Zoë", email="zoe@example.org")
    db.commit()
    response = send(
        client,
        rep,
        lead,
        to=[{"name": "Zoë Ærøskøbing", "address": "zoe@example.org"}],
        html="<p>Hi <b>{{ lead.first_name }}</b></p>",
        kind="marketing",
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["state"] == "queued" and out["subject"] == "Hello Zoë"
    assert out["text"].startswith("Dear Zoë, from ")
    # written with its outbox row in the request's transaction; nothing sent before commit
    outbox = db.scalars(
        select(OutboxMessage).where(OutboxMessage.record_id == uuid.UUID(out["id"]))
    ).all()
    assert [o.event for o in outbox] == ["email.queued"]
    assert smtp_server.received == []

    assert pump() == {"sent": 1}
    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    row = message_row(db, out["id"])
    assert row.state == "sent" and row.last_reply_code == 250
    assert row.last_reply is not None and "queued as TEST" in row.last_reply
    msg = got.message
    assert msg["Message-ID"] == row.message_id == out["message_id"]
    assert row.message_id.endswith("@mail.example.com>")
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert "<b>Zoë</b>" in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # non-ASCII display names encoded (RFC 2047) on the wire, decoded back by the parser
    raw_headers = got.data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw_headers and "Zoë".encode() not in raw_headers
    assert str(msg["To"]) == "Zoë Ærøskøbing <zoe@example.org>"
    assert str(msg["From"]) == "Nexa Démo <crm@mail.example.com>"
    # VERP: the envelope sender names the message
    assert got.mail_from == f"bounces+{uuid.UUID(out['id']).hex}@mail.example.com"
    assert got.rcpt_tos == ["zoe@example.org"]
    # marketing mail: RFC 8058 one-click unsubscribe
    assert msg["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/email/unsubscribe/")
    assert "mailto:unsubscribe+" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the sent mail on the lead's timeline
    events = db.scalars(
        select(Activity.event).where(Activity.record_type == "lead", Activity.record_id == lead.id)
    ).all()
    assert "email.queued" in events and "email.sent" in events
    # running the jobs again sends nothing twice
    assert pump.sweep(utcnow() + timedelta(days=3)) == {}
    assert len(smtp_server.received) == 1


def test_transactional_mail_has_no_list_unsubscribe(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="plain@example.org")
    db.commit()
    response = send(client, rep, lead)  # no "to": the lead's own address
    assert response.status_code == 201, response.text
    pump()
    msg = smtp_server.received[0].message
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert msg.get_content_type() == "text/plain"
    assert smtp_server.received[0].rcpt_tos == ["plain@example.org"]


def test_4xx_defers_and_the_retry_sends_the_same_message_id(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="later@example.org")
    db.commit()
    smtp_server.answer("451 4.3.0 Try again later")
    out = send(client, rep, lead).json()
    t0 = utcnow()
    assert pump(t0) == {"deferred": 1}
    row = message_row(db, out["id"])
    assert row.state == "deferred" and row.attempts == 1 and row.last_reply_code == 451
    assert row.next_attempt_at is not None and row.next_attempt_at > t0
    assert client.get(f"/api/v1/emails/{out['id']}", headers=rep.headers).json()["last_reply"] == (
        "451 4.3.0 Try again later"
    )
    # not due yet: nothing happens
    assert pump.sweep(t0 + timedelta(seconds=10)) == {}
    smtp_server.answer(None)
    assert pump.sweep(t0 + timedelta(minutes=2)) == {"sent": 1}
    row = message_row(db, out["id"])
    assert row.state == "sent" and row.attempts == 2
    assert [r.message["Message-ID"] for r in smtp_server.received] == [out["message_id"]]


def test_5xx_fails_with_the_reply_kept(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="nobody@example.org")
    db.commit()
    smtp_server.answer("550 5.1.1 No such user here")
    out = send(client, rep, lead).json()
    assert pump() == {"failed": 1}
    row = message_row(db, out["id"])
    assert row.state == "failed" and row.last_reply_code == 550
    assert row.last_reply == "550 5.1.1 No such user here"
    smtp_server.answer(None)
    assert pump.sweep(utcnow() + timedelta(days=3)) == {}  # never tried again
    listed = client.get("/api/v1/emails", headers=rep.headers, params={"state": "failed"})
    assert [m["id"] for m in listed.json()["items"]] == [out["id"]]


def test_server_down_defers_then_delivers_when_back(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, email=f"down{i}@example.org") for i in range(3)]
    db.commit()
    smtp_server.stop()
    ids = [send(client, rep, lead).json()["id"] for lead in leads]
    t0 = utcnow()
    assert pump(t0) == {"deferred": 3}
    for i in ids:
        row = message_row(db, i)
        assert row.state == "deferred" and row.last_reply_code is None
        assert row.last_reply is not None and row.last_reply.startswith("connection:")
    smtp_server.start()
    assert pump.sweep(t0 + timedelta(minutes=2)) == {"sent": 3}
    got = sorted(r.message["Message-ID"] for r in smtp_server.received)
    assert got == sorted(message_row(db, i).message_id for i in ids)


def test_hourly_limit_per_domain_defers_without_an_attempt(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump, monkeypatch: Any
) -> None:
    from nexa.config import get_settings

    monkeypatch.setattr(get_settings(), "email_hourly_limit_per_domain", 2)
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, email=f"limit{i}@example.org") for i in range(3)]
    db.commit()
    ids = [send(client, rep, lead).json()["id"] for lead in leads]
    t0 = utcnow()
    assert pump(t0) == {"sent": 2}
    waiting = [message_row(db, i) for i in ids if message_row(db, i).state != "sent"]
    assert len(waiting) == 1 and waiting[0].state == "deferred" and waiting[0].attempts == 0
    assert waiting[0].last_reply is not None and "hourly limit" in waiting[0].last_reply
    assert pump.sweep(t0 + timedelta(minutes=61)) == {"sent": 1}
    assert len(smtp_server.received) == 3


def test_a_rollback_leaves_no_message_outbox_row_or_job(
    db: Any, smtp_server: SmtpServer, enqueued_jobs: list[Any]
) -> None:
    from nexa.core.events import discard_after_commit
    from nexa.email import service
    from nexa.email.schemas import EmailSend

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="never@example.org")
    db.commit()
    discard_after_commit(db)
    before = db.scalar(select(func.count()).select_from(OutboxMessage))
    savepoint = db.begin_nested()
    service.send(
        db,
        rep.actor,
        EmailSend(record_type="lead", record_id=lead.id, subject="Hi", text="Hi"),
    )
    savepoint.rollback()
    discard_after_commit(db)  # what the request's session does on a rollback
    assert db.scalar(unscoped(select(func.count()).select_from(EmailMessage))) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert enqueued_jobs == [] and smtp_server.received == []


def test_a_worker_dying_after_the_claim_loses_nothing(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    """The claim leases the message; a worker killed before recording leaves it leased, and
    the sweep after the lease sends it (at least once, with the same Message-ID)."""
    from nexa.email import delivery

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="crash@example.org")
    db.commit()
    out = send(client, rep, lead).json()
    pump.recorded.clear()  # the worker that would deliver it dies
    t0 = utcnow()
    with sessions() as session:
        _config, outgoing, _ = delivery.claim(session, [uuid.UUID(out["id"])], t0)
    assert [o.message_id for o in outgoing] == [out["message_id"]]
    # ... killed here: nothing recorded. Within the lease nobody sends it again:
    assert pump.sweep(t0 + timedelta(minutes=1)) == {}
    assert pump.sweep(t0 + delivery.LEASE + timedelta(seconds=1)) == {"sent": 1}
    assert [r.message["Message-ID"] for r in smtp_server.received] == [out["message_id"]]
    assert message_row(db, out["id"]).attempts == 2


def test_the_test_suite_never_connects_outside_loopback(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    """NEXA_OUTBOUND_LOOPBACK_ONLY (set for the whole suite, fuzzing included) holds for SMTP
    too: a non-loopback host is refused before any lookup or connection; the message waits."""
    configure(db, smtp_server, host="smtp.example.com")
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="x@example.org")
    db.commit()
    out = send(client, rep, lead).json()
    assert pump() == {"deferred": 1}
    row = message_row(db, out["id"])
    assert row.last_reply is not None and "NEXA_OUTBOUND_LOOPBACK_ONLY" in row.last_reply


def test_a_worker_killed_mid_batch_sends_again_only_the_message_in_flight(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump, sessions: Any
) -> None:
    """Each reply is stored the moment it comes: a worker killed after the server accepted
    the third of five messages (before it could store that) leaves the first two sent — their
    events published by the sweep — and the other three to be sent after the lease: only the
    one in flight arrives twice, with the same Message-ID."""
    from nexa.email import delivery
    from nexa.email.transport import Connection

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    leads = [make_lead(db, rep.actor, email=f"kill{i}@example.org") for i in range(5)]
    db.commit()
    sent = [send(client, rep, lead).json() for lead in leads]
    pump.recorded.clear()

    class Killed(BaseException):
        pass

    class DiesOnTheThird(Connection):
        calls = 0

        def send(self, *args: Any) -> Any:
            reply = super().send(*args)
            DiesOnTheThird.calls += 1
            if DiesOnTheThird.calls == 3:
                raise Killed  # SIGKILL after the server's 250, before anything is stored
            return reply

    t0 = utcnow()
    with pytest.raises(Killed):
        delivery.deliver(
            [uuid.UUID(s["id"]) for s in sent], now=t0, sessions=sessions, connection=DiesOnTheThird
        )
    states = [message_row(db, s["id"]).state for s in sent]
    assert states == ["sent", "sent", "queued", "queued", "queued"]
    assert [message_row(db, s["id"]).outcome_pending for s in sent[:2]] == [True, True]
    # within the lease nothing is sent again, and nothing is published yet
    assert pump.sweep(t0 + timedelta(minutes=1)) == {}
    later = t0 + delivery.lease() + timedelta(seconds=1)
    assert pump.sweep(later) == {"sent": 5}  # 2 published, 3 sent now
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert sorted(set(ids)) == sorted(s["message_id"] for s in sent)
    assert [i for i in set(ids) if ids.count(i) > 1] == [sent[2]["message_id"]]
    timeline = db.scalar(
        select(func.count()).select_from(Activity).where(Activity.event == "email.sent",
                                                          Activity.record_type == "lead")
    )  # fmt: skip
    assert timeline == 5  # every message's email.sent is on its lead's timeline, once


def test_send_later_waits_for_its_time(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="later@example.org")
    db.commit()
    at = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    out = send(client, rep, lead, send_at=at.isoformat()).json()
    assert out["state"] == "queued" and out["next_attempt_at"].startswith(at.isoformat()[:19])
    assert pump() == {}  # the job after commit finds it not due
    assert pump.sweep(at - timedelta(minutes=1)) == {}
    assert smtp_server.received == []
    assert pump.sweep(at + timedelta(seconds=1)) == {"sent": 1}
    naive = send(client, rep, lead, send_at="2030-01-01T09:00:00")
    assert naive.status_code == 422 and "time zone" in naive.text
    far = send(client, rep, lead, send_at=(utcnow() + timedelta(days=400)).isoformat())
    assert far.status_code == 422 and "a year" in far.text


def test_attachments_and_a_quote_pdf_go_with_the_message(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump, monkeypatch: Any
) -> None:
    """Uploaded files (base64) and a quote's PDF are kept in the file store when the message
    is written and attached at delivery; a file over the limit, a type that runs when
    opened, bad base64 and someone else's quote are 422s naming the attachment."""
    import base64

    from nexa.config import get_settings
    from tests.factories.quote import make_quote

    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="files@example.org")
    quote = make_quote(db, rep.actor)
    db.commit()
    out = send(
        client, rep, lead,
        attachments=[{"filename": "../../notes.txt", "content_type": "text/plain",
                      "content_base64": base64.b64encode(b"hello file").decode()}],
        quote_ids=[str(quote.id)],
    )  # fmt: skip
    assert out.status_code == 201, out.text
    shown = out.json()["attachments"]
    assert [a["filename"] for a in shown] == ["notes.txt", f"{quote.number}.pdf"]
    assert pump() == {"sent": 1}
    message = smtp_server.received[0].message
    files = {p.get_filename(): p for p in message.iter_attachments()}
    assert files["notes.txt"].get_content() == "hello file"
    pdf = files[f"{quote.number}.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content()[:5] == b"%PDF-"

    monkeypatch.setattr(get_settings(), "email_max_attachment_bytes", 5)
    big = send(client, rep, lead, attachments=[{"filename": "big.bin",
               "content_base64": base64.b64encode(b"123456").decode()}])  # fmt: skip
    assert big.status_code == 422 and "attachments.0" in big.text
    monkeypatch.undo()
    exe = send(client, rep, lead, attachments=[{"filename": "run.exe",
               "content_base64": base64.b64encode(b"MZ").decode()}])  # fmt: skip
    assert exe.status_code == 422 and "attachments.0" in exe.text
    bad = send(client, rep, lead, attachments=[{"filename": "x", "content_base64": "***"}])
    assert bad.status_code == 422 and "attachments.0.content_base64" in bad.text
    other = make_user(db, "sales_rep")
    theirs = make_quote(db, other.actor)
    db.commit()
    refused = send(client, rep, lead, quote_ids=[str(theirs.id)])
    assert refused.status_code == 422 and "quote_ids.0" in refused.text


def test_a_reply_from_the_crm_carries_in_reply_to_and_joins_the_thread(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="thread@example.org")
    db.commit()
    first = send(client, rep, lead).json()
    second = send(client, rep, lead, subject="Re: Hello", in_reply_to_id=first["id"]).json()
    assert pump() == {"sent": 2}
    answer = smtp_server.received[1].message
    assert answer["In-Reply-To"] == first["message_id"]
    assert answer["References"] == first["message_id"]
    assert message_row(db, second["id"]).thread_id == message_row(db, first["id"]).thread_id
