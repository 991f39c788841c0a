"""Receiving a message (nexa.email.inbound.receive): threaded by Message-ID / In-Reply-To /
References (subject as a fallback), matched to contacts and leads, logged on the timeline of
the contact, its account and the open deal; attachments through the file store; auto-replies
flagged; bounces parsed; bad input a recorded outcome, never a crash or half a message."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.core.filestore import FileStore
from nexa.core.repository import unscoped
from nexa.email import service
from nexa.email.inbound import may_auto_answer, receive
from nexa.email.schemas import EmailSend, SmtpSettingsIn
from nexa.models import (
    Activity,
    EmailAttachment,
    EmailMessage,
    EmailReceipt,
    EmailSuppression,
    EmailThread,
    Lead,
)
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.email import dsn, mail, make_mailbox
from tests.factories.lead import make_lead


@pytest.fixture
def files(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


def stored(db: Any, message_id: str) -> EmailMessage:
    stmt = unscoped(select(EmailMessage).where(EmailMessage.message_id == message_id))
    row = db.scalars(stmt.execution_options(populate_existing=True)).one()
    assert isinstance(row, EmailMessage)
    return row


def msg(db: Any, row_id: Any) -> EmailMessage:
    stmt = unscoped(select(EmailMessage).where(EmailMessage.id == row_id))
    row = db.scalars(stmt.execution_options(populate_existing=True)).one()
    assert isinstance(row, EmailMessage)
    return row


def count(db: Any, model: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model))))


def timeline(db: Any, record_id: uuid.UUID) -> list[Activity]:
    stmt = select(Activity).where(Activity.record_id == record_id, Activity.event.like("email.%"))
    return list(db.scalars(stmt))


def customer(db: Any, email: str = "pat@customer.example") -> tuple[Any, Any, Any]:
    account = make_account(db, name=f"Customer {uuid.uuid4().hex[:6]}")
    contact = make_contact(db, email=email, account_id=account.id)
    deal = make_deal(db, account_id=account.id)
    return contact, account, deal


def test_a_reply_joins_the_sent_messages_thread_and_reaches_three_timelines(
    db: Any, files: FileStore
) -> None:
    contact, account, deal = customer(db, "Pat@Customer.example")
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="crm.example.com")
    )
    sent = service.send(
        db,
        SYSTEM,
        EmailSend(
            record_type="deal",
            record_id=deal.id,
            to=[{"address": "pat@customer.example"}],
            subject="Our proposal",
            text="Attached.",
        ),
    )
    assert sent.thread_id is not None and sent.direction == "out"
    mailbox = make_mailbox(db, address="sales@crm.example.com")
    raw = mail(
        subject="Re: Our proposal",
        in_reply_to=sent.message_id,
        references=[sent.message_id],
        text="Looks good, send the contract.",
    )
    outcome = receive(db, raw, mailbox=mailbox, source="imap", store=files)
    assert outcome.outcome == "stored", outcome
    reply = stored(db, outcome_message_id(db, outcome))
    assert reply.direction == "in" and reply.state == "received"
    assert reply.thread_id == sent.thread_id
    assert reply.in_reply_to == sent.message_id
    assert reply.text_body.startswith("Looks good")
    # the thread was started from the deal: the reply stays on the deal, and the contact and
    # its account see it too
    assert (reply.related_type, reply.related_id) == ("deal", deal.id)
    # a person's answer to our mail is a reply (what the lead score counts)
    for record in (deal, contact, account):
        events = [a.event for a in timeline(db, record.id)]
        assert "email.replied" in events, record
    entry = next(a for a in timeline(db, contact.id) if a.event == "email.replied")
    assert entry.summary == "Nexa received a reply by email Re: Our proposal"
    thread = db.get(EmailThread, sent.thread_id)
    assert thread.message_count == 2
    # a person answered: the proposal counts as replied to (the templates' reply rates)
    assert stored(db, sent.message_id).replied_at is not None
    outbox = db.scalars(select(OutboxMessage).where(OutboxMessage.record_id == reply.id)).all()
    assert [o.event for o in outbox] == ["email.replied"]
    # an auto-reply to the same message is received, not a reply
    auto = mail(in_reply_to=sent.message_id, headers={"Auto-Submitted": "auto-replied"})
    robot = receive(db, auto, mailbox=mailbox, source="imap", store=files)
    assert msg(db, robot.email_id).thread_id == sent.thread_id
    robot_events = db.scalars(
        select(OutboxMessage.event).where(OutboxMessage.record_id == robot.email_id)
    ).all()
    assert robot_events == ["email.received"]


def outcome_message_id(db: Any, outcome: Any) -> str:
    return str(msg(db, outcome.email_id).message_id)


def test_a_new_message_from_a_contact_starts_a_thread_on_contact_account_and_open_deal(
    db: Any, files: FileStore
) -> None:
    contact, account, deal = customer(db)
    mailbox = make_mailbox(db)
    outcome = receive(db, mail(), mailbox=mailbox, source="smtp", store=files)
    message = msg(db, outcome.email_id)
    assert (message.related_type, message.related_id) == ("contact", contact.id)
    assert db.get(EmailThread, message.thread_id).subject == "Pricing question"
    for record in (contact, account, deal):
        assert [a.event for a in timeline(db, record.id)] == ["email.received"]
    # the shared mailbox's message belongs to the contact's owner (none here)
    assert message.owner_id == contact.owner_id


def test_a_closed_deal_is_not_the_open_one(db: Any, files: FileStore) -> None:
    account = make_account(db)
    make_contact(db, email="x@closed.example", account_id=account.id)
    deal = make_deal(db, account_id=account.id)
    receive(db, mail(sender="x@closed.example"), mailbox=None, source="api", store=files)
    assert [a.event for a in timeline(db, deal.id)] == ["email.received"]


def test_a_lead_is_matched_and_a_subject_reply_joins_by_subject(db: Any, files: FileStore) -> None:
    lead = make_lead(db, email="lee@prospect.example")
    first = receive(
        db, mail(sender="lee@prospect.example", subject="Demo"), mailbox=None, source="api"
    )
    again = receive(
        db,
        # a client that dropped In-Reply-To: the subject, the same record, recent → same thread
        mail(sender="lee@prospect.example", subject="RE:  demo"),
        mailbox=None,
        source="api",
        store=files,
    )
    a, b = msg(db, first.email_id), msg(db, again.email_id)
    assert (a.related_type, a.related_id) == ("lead", lead.id)
    assert a.thread_id == b.thread_id
    # a new subject without a reply prefix starts its own thread
    other = receive(
        db, mail(sender="lee@prospect.example", subject="Demo"), mailbox=None, source="api"
    )
    assert msg(db, other.email_id).thread_id != a.thread_id


def test_unknown_senders_create_a_lead_only_when_the_mailbox_rule_says_so(
    db: Any, files: FileStore
) -> None:
    quiet = make_mailbox(db)
    leads_before = count(db, Lead)
    outcome = receive(
        db, mail(sender="New Person <new@unknown.example>"), mailbox=quiet, source="api"
    )
    message = msg(db, outcome.email_id)
    assert message.related_type is None and count(db, Lead) == leads_before

    eager = make_mailbox(db, create_leads=True)
    outcome = receive(
        db, mail(sender="Ada Lovelace <ada@unknown.example>"), mailbox=eager, source="api"
    )
    message = msg(db, outcome.email_id)
    lead = db.scalars(unscoped(select(Lead).where(Lead.id == message.related_id))).one()
    assert message.related_type == "lead" and lead.email == "ada@unknown.example"
    assert (lead.first_name, lead.last_name) == ("Ada", "Lovelace")
    assert "lead was created" in (outcome.detail or "")
    # an auto-reply from an unknown address creates nothing
    receive(
        db,
        mail(sender="robot@unknown.example", headers={"Auto-Submitted": "auto-replied"}),
        mailbox=eager,
        source="api",
    )
    assert count(db, Lead) == leads_before + 1


def test_the_same_message_id_is_stored_once_and_an_auto_responder_loop_ends(
    db: Any, files: FileStore
) -> None:
    mailbox = make_mailbox(db)
    raw = mail(message_id="<once@customer.example>")
    assert receive(db, raw, mailbox=mailbox, source="imap").outcome == "stored"
    assert receive(db, raw, mailbox=mailbox, source="imap").outcome == "duplicate"
    # two auto-responders answering each other: each auto-reply is flagged, never answered,
    # and the same one coming round again is not stored again
    loop = mail(
        sender="vacation@other.example",
        subject="Out of office: Re: Out of office",
        message_id="<ooo-1@other.example>",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    first = receive(db, loop, mailbox=mailbox, source="imap")
    assert first.outcome == "stored" and "auto-submitted" in (first.detail or "")
    message = msg(db, first.email_id)
    assert message.auto_submitted and not may_auto_answer(message)
    for _ in range(3):
        assert receive(db, loop, mailbox=mailbox, source="imap").outcome == "duplicate"
    assert count(db, EmailMessage) == 2
    outcomes = db.scalars(select(EmailReceipt.outcome).where(EmailReceipt.mailbox_id == mailbox.id))
    assert sorted(outcomes) == ["duplicate"] * 4 + ["stored"] * 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"List-Id": "<news.example.org>"},
        {"X-Auto-Response-Suppress": "All"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_mail_is_flagged_and_never_answered(db: Any, headers: dict[str, str]) -> None:
    outcome = receive(db, mail(headers=headers), mailbox=None, source="api")
    message = msg(db, outcome.email_id)
    assert message.auto_submitted and not may_auto_answer(message)


def test_a_person_may_be_answered(db: Any) -> None:
    outcome = receive(db, mail(headers={"Auto-Submitted": "no"}), mailbox=None, source="api")
    assert may_auto_answer(msg(db, outcome.email_id))
    daemon = receive(db, mail(sender="MAILER-DAEMON@x.example"), mailbox=None, source="api")
    assert not may_auto_answer(msg(db, daemon.email_id))


def test_attachments_go_to_the_file_store_with_safe_names_and_limits(
    db: Any, files: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXA_EMAIL_MAX_ATTACHMENT_BYTES", "1000")
    get_settings.cache_clear()
    try:
        raw = mail(
            attachments=[
                ("../../etc/quote\x07.pdf", "application/pdf", b"%PDF-1.4 small"),
                ("big.csv", "text/csv", b"x" * 1001),
                ("invoice.exe", "application/octet-stream", b"MZ\x90\x00"),
                ("notes.txt", "application/x-msdownload", b"harmless?"),
            ]
        )
        outcome = receive(db, raw, mailbox=None, source="api", store=files)
    finally:
        monkeypatch.delenv("NEXA_EMAIL_MAX_ATTACHMENT_BYTES")
        get_settings.cache_clear()
    assert outcome.outcome == "stored"
    rows = db.scalars(
        select(EmailAttachment)
        .where(EmailAttachment.email_id == outcome.email_id)
        .order_by(EmailAttachment.filename)
    ).all()
    by_name = {r.filename: r for r in rows}
    assert set(by_name) == {"quote.pdf", "big.csv", "invoice.exe", "notes.txt"}
    pdf = by_name["quote.pdf"]
    assert pdf.refused is None and files.read(pdf.file_key) == b"%PDF-1.4 small"
    assert by_name["big.csv"].file_key is None and "limit is 1000" in by_name["big.csv"].refused
    assert by_name["big.csv"].size == 1001
    assert by_name["invoice.exe"].file_key is None and ".exe" in by_name["invoice.exe"].refused
    assert by_name["notes.txt"].file_key is None
    message = msg(db, outcome.email_id)
    assert sum("refused" in n for n in message.notes) == 3


def test_malformed_mime_and_8bit_headers_are_stored_with_notes(db: Any, files: FileStore) -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen?= <j\xc3\xbcrgen@example.de>\r\n"
        b"To: sales@crm.example.com\r\n"
        b"Subject: Gr\xc3\xbc\xc3\x9fe \xff\xfe broken\r\n"
        b"Message-ID: <8bit@example.de>\r\n"
        b"Date: not a date\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        b"\r\n"
        b"--never-closed\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"!!!not base64\x00\r\n"
    )
    outcome = receive(db, raw, mailbox=None, source="api", store=files)
    assert outcome.outcome == "stored", outcome
    message = msg(db, outcome.email_id)
    assert message.subject.startswith("Grüße")
    assert "\x00" not in message.text_body
    assert message.notes, "the defects are recorded"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02 binary garbage \xff" * 50,
        b"Subject: only headers",
        b"From: <>\r\nMessage-ID: <" + b"x" * 2000 + b">\r\n\r\nbody",
        b'From: a@b.example\r\nTo: ,,,@@@, "unclosed\r\nSubject: =?bogus?x?zz?=\r\n\r\nhi',
    ],
)
def test_garbage_is_a_recorded_outcome_never_a_crash(db: Any, raw: bytes) -> None:
    outcome = receive(db, raw, mailbox=None, source="api")
    assert outcome.outcome in ("stored", "duplicate")
    receipt = db.scalars(select(EmailReceipt).order_by(EmailReceipt.created_at.desc())).first()
    assert receipt.outcome == outcome.outcome


def test_a_failure_midway_leaves_no_half_message(
    db: Any, files: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, data: bytes) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(FileStore, "put", broken)
    before = (count(db, EmailMessage), count(db, EmailThread), count(db, Activity))
    raw = mail(attachments=[("a.pdf", "application/pdf", b"%PDF")])
    outcome = receive(db, raw, mailbox=None, source="api", store=files)
    assert outcome.outcome == "failed" and "disk full" in (outcome.detail or "")
    assert (count(db, EmailMessage), count(db, EmailThread), count(db, Activity)) == before
    receipt = db.scalars(select(EmailReceipt).where(EmailReceipt.outcome == "failed")).one()
    assert receipt.header_message_id is not None and receipt.email_id is None


def test_a_message_over_the_size_limit_is_refused(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXA_EMAIL_MAX_MESSAGE_BYTES", "2048")
    get_settings.cache_clear()
    try:
        outcome = receive(db, mail(text="x" * 5000), mailbox=None, source="api")
    finally:
        monkeypatch.delenv("NEXA_EMAIL_MAX_MESSAGE_BYTES")
        get_settings.cache_clear()
    assert outcome.outcome == "refused" and "limit is 2048" in (outcome.detail or "")


def _sent(db: Any, address: str) -> EmailMessage:
    lead = make_lead(db, email=address)
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="mail.example.com")
    )
    message = service.send(
        db, SYSTEM, EmailSend(record_type="lead", record_id=lead.id, subject="Hi", text="Hi")
    )
    message.state = "sent"
    db.flush()
    return message


def test_a_hard_bounce_suppresses_the_address_and_marks_the_message(db: Any) -> None:
    sent = _sent(db, "gone@customer.example")
    verp = f"bounces+{sent.id.hex}@mail.example.com"
    outcome = receive(
        db, dsn(recipient="gone@customer.example", verp=verp), mailbox=None, source="smtp"
    )
    assert outcome.outcome == "bounce" and "hard bounce" in (outcome.detail or "")
    assert stored(db, sent.message_id).state == "bounced"
    reasons = db.scalars(
        select(EmailSuppression.reason).where(EmailSuppression.address == "gone@customer.example")
    ).all()
    assert reasons == ["hard_bounce"]
    assert count(db, EmailMessage) == 1  # the notification itself is not a conversation
    events = [a.event for a in timeline(db, sent.related_id)]
    assert "email.bounced" in events


def test_a_soft_bounce_is_counted_and_found_by_the_original_message_id(db: Any) -> None:
    sent = _sent(db, "full@customer.example")
    raw = dsn(
        recipient="full@customer.example",
        status="4.2.2",
        action="delayed",
        original_message_id=sent.message_id,
    )
    for _ in range(2):
        assert receive(db, raw, mailbox=None, source="imap").outcome == "bounce"
    row = stored(db, sent.message_id)
    assert row.state == "sent" and row.soft_bounces == 2
    assert count(db, EmailSuppression) == 0
