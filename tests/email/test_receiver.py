"""`nexa mail receive`'s SMTP listener (aiosmtpd on a loopback port): mail for a mailbox is
stored, mail for anyone else refused at RCPT (no relaying), a bounce to one of our VERP
addresses is taken as a bounce, and the same message to two mailboxes is stored once."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.repository import unscoped
from nexa.email import receiver, service
from nexa.email.schemas import SmtpSettingsIn
from nexa.models import EmailMessage
from tests.email.conftest import free_port
from tests.factories.email import dsn, mail, make_mailbox


@pytest.fixture
def listener(db: Any, sessions: Any) -> Iterator[tuple[Any, int]]:
    port = free_port()
    control = receiver.controller("127.0.0.1", port, sessions=sessions)
    control.start()
    try:
        yield control.handler, port
    finally:
        control.stop()


def test_mail_for_a_mailbox_is_stored_and_for_strangers_refused(
    db: Any, listener: tuple[Any, int]
) -> None:
    handler, port = listener
    support = make_mailbox(db, address="support@crm.example.com")
    sales = make_mailbox(db, address="sales@crm.example.com")
    db.commit()
    message_id = f"<smtp-{uuid.uuid4().hex[:8]}@customer.example>"
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        refused = smtp.sendmail(
            "pat@customer.example",
            ["support@crm.example.com", "SALES@crm.example.com", "someone@elsewhere.example"],
            mail(message_id=message_id, to="support@crm.example.com"),
        )
        assert list(refused) == ["someone@elsewhere.example"]
        assert refused["someone@elsewhere.example"][0] == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("x@y.example", ["nobody@crm.example.com"], mail())
    assert [o.outcome for o in handler.outcomes] == ["stored", "duplicate"]
    rows = db.scalars(
        unscoped(select(EmailMessage).where(EmailMessage.message_id == message_id))
    ).all()
    assert len(rows) == 1 and rows[0].mailbox_id in (support.id, sales.id)


def test_a_bounce_to_a_verp_address_is_accepted_and_taken(
    db: Any, listener: tuple[Any, int]
) -> None:
    handler, port = listener
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="mail.example.com")
    )
    db.commit()
    verp = f"bounces+{uuid.uuid4().hex}@mail.example.com"
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.sendmail("", [verp], dsn(recipient="gone@customer.example", verp=verp))
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("", [f"bounces+{uuid.uuid4().hex}@other.example"], b"x")
    assert [o.outcome for o in handler.outcomes] == ["bounce"]
