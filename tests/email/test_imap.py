"""Reading a mailbox through a real IMAP server (Dovecot on loopback): one pass stores what
is new and remembers the last UID; a second pass stores nothing; a UIDVALIDITY change reads
again without storing twice; a server that is away is a recorded error; the watcher's IDLE
loop picks up a message delivered while it waits, and stops when told."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.repository import unscoped
from nexa.email import imap, mailboxes
from nexa.email.schemas import MailboxIn
from nexa.models import EmailMessage, EmailReceipt, Mailbox
from tests.email.imap_server import DovecotServer
from tests.factories.email import mail

WAIT_SECONDS = 120  # generous: the machine may be busy


def mailbox_on(db: Any, server: DovecotServer, **fields: Any) -> Mailbox:
    address, password = server.new_user()
    data = MailboxIn(
        address=address,
        kind="shared",
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_security="none",
        imap_password=password,
        **fields,
    )
    box = mailboxes.create_mailbox(db, SYSTEM, data)
    db.commit()
    return box


def stored_ids(db: Any, box: Mailbox) -> list[str]:
    stmt = unscoped(select(EmailMessage.message_id).where(EmailMessage.mailbox_id == box.id))
    return sorted(db.scalars(stmt))


def test_one_pass_stores_the_new_messages_and_the_next_pass_nothing(
    db: Any, dovecot: DovecotServer, sessions: Any
) -> None:
    box = mailbox_on(db, dovecot)
    ids = [f"<imap-{i}-{uuid.uuid4().hex[:6]}@customer.example>" for i in range(3)]
    for message_id in ids:
        dovecot.append(box.address, mail(message_id=message_id, to=box.address))
    first = imap.run_once(box.id, sessions=sessions)
    assert first.seen == 3 and first.outcomes == {"stored": 3}
    assert stored_ids(db, box) == sorted(ids)
    db.refresh(box)
    assert box.last_uid == 3 and box.uidvalidity and box.last_error is None
    assert imap.run_once(box.id, sessions=sessions).seen == 0
    # the messages are left unread in the user's mailbox (BODY.PEEK)
    client = dovecot.client(box.address)
    client.select_folder("INBOX")  # type: ignore[attr-defined]
    assert client.search(["UNSEEN"]) == [1, 2, 3]  # type: ignore[attr-defined]
    client.logout()  # type: ignore[attr-defined]


def test_a_new_uidvalidity_reads_again_without_storing_twice(
    db: Any, dovecot: DovecotServer, sessions: Any
) -> None:
    box = mailbox_on(db, dovecot)
    dovecot.append(box.address, mail(to=box.address))
    imap.run_once(box.id, sessions=sessions)
    db.refresh(box)
    box.uidvalidity = (box.uidvalidity or 0) + 1  # as if the server rebuilt the folder
    db.commit()
    again = imap.run_once(box.id, sessions=sessions)
    assert again.uidvalidity_changed and again.outcomes == {"duplicate": 1}
    assert len(stored_ids(db, box)) == 1


def test_a_server_that_is_away_is_a_recorded_error(db: Any, sessions: Any) -> None:
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    box = mailboxes.create_mailbox(
        db,
        SYSTEM,
        MailboxIn(
            address="away@crm.example.com",
            kind="shared",
            imap_host="127.0.0.1",
            imap_port=port,
            imap_security="none",
        ),
    )
    db.commit()
    with pytest.raises(OSError):
        imap.run_once(box.id, sessions=sessions)
    db.refresh(box)
    assert box.last_error and "Error" in box.last_error


def test_a_host_that_is_not_loopback_is_refused_under_the_loopback_rule(
    db: Any, sessions: Any
) -> None:
    box = mailboxes.create_mailbox(
        db,
        SYSTEM,
        MailboxIn(address="far@crm.example.com", kind="shared", imap_host="imap.example.com"),
    )
    db.commit()
    with pytest.raises(imap.ImapRefused):
        imap.run_once(box.id, sessions=sessions)


def test_a_message_over_the_limit_is_recorded_not_downloaded(
    db: Any, dovecot: DovecotServer, sessions: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nexa.config import get_settings

    box = mailbox_on(db, dovecot)
    dovecot.append(box.address, mail(to=box.address, text="x" * 5000))
    monkeypatch.setenv("NEXA_EMAIL_MAX_MESSAGE_BYTES", "2048")
    get_settings.cache_clear()
    try:
        result = imap.run_once(box.id, sessions=sessions)
    finally:
        monkeypatch.delenv("NEXA_EMAIL_MAX_MESSAGE_BYTES")
        get_settings.cache_clear()
    assert result.outcomes == {"refused": 1}
    receipt = db.scalars(select(EmailReceipt).where(EmailReceipt.mailbox_id == box.id)).one()
    assert receipt.imap_uid == 1 and "limit is 2048" in (receipt.detail or "")
    db.refresh(box)
    assert box.last_uid == 1


def test_the_watcher_idles_and_stores_a_message_delivered_while_it_waits(
    db: Any, dovecot: DovecotServer, sessions: Any
) -> None:
    box = mailbox_on(db, dovecot)
    passes: list[Any] = []
    first_pass = threading.Event()
    got_mail = threading.Event()

    def on_pass(result: Any) -> None:
        passes.append(result)
        first_pass.set()
        if result.outcomes.get("stored"):
            got_mail.set()

    watcher = imap.Watcher(sessions=sessions, idle_seconds=60, on_pass=on_pass)
    runner = threading.Thread(target=watcher.run, args=([box.id],), daemon=True)
    runner.start()
    try:
        assert first_pass.wait(WAIT_SECONDS), "the watcher made no first pass"
        message_id = f"<idle-{uuid.uuid4().hex[:8]}@customer.example>"
        dovecot.append(box.address, mail(message_id=message_id, to=box.address))
        assert got_mail.wait(WAIT_SECONDS), f"nothing stored; passes: {passes}"
    finally:
        watcher.stop()
        runner.join(WAIT_SECONDS)
    assert not runner.is_alive()
    assert stored_ids(db, box) == [message_id]
    count = db.scalar(unscoped(select(func.count()).select_from(EmailMessage)))
    assert count >= 1


def test_the_watcher_survives_a_server_that_is_away_and_retries_with_backoff(
    db: Any, sessions: Any
) -> None:
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = mailboxes.create_mailbox(
        db,
        SYSTEM,
        MailboxIn(
            address="down@crm.example.com",
            kind="shared",
            imap_host="127.0.0.1",
            imap_port=port,
            imap_security="none",
        ),
    )
    db.commit()
    errors: list[Exception] = []
    retried = threading.Event()

    def on_error(mailbox_id: Any, exc: Exception) -> None:
        errors.append(exc)
        if len(errors) >= 2:
            retried.set()

    watcher = imap.Watcher(sessions=sessions, on_error=on_error)
    runner = threading.Thread(target=watcher.run, args=([box.id],), daemon=True)
    runner.start()
    try:
        assert retried.wait(WAIT_SECONDS), "no second attempt"
    finally:
        watcher.stop()
        runner.join(WAIT_SECONDS)
    assert not runner.is_alive()
    assert all(isinstance(e, OSError) for e in errors)
    db.refresh(box)
    assert box.last_error and box.last_checked_at is not None
