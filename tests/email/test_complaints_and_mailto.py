"""Two kinds of mail that change who may be mailed: a feedback report (ARF, RFC 5965: a
recipient marked our message as spam) suppresses the address for all mail, as a hard bounce
does; a mail to a message's List-Unsubscribe mailto unsubscribes its recipients, as the
one-click link does. Neither is kept as conversation; each leaves a receipt saying what it
did. The SMTP listener accepts both addresses of ours and refuses others."""

from __future__ import annotations

from email.message import EmailMessage as Mime
from email.utils import make_msgid
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from nexa.core.errors import ValidationFailed
from nexa.email import service
from nexa.email.inbound import receive
from nexa.email.receiver import InboundHandler
from nexa.email.schemas import EmailSend, SmtpSettingsIn
from tests.factories.lead import make_lead


def sent(db: Any, lead: Any, kind: str = "transactional") -> Any:
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="crm.example.com")
    )
    return service.send(
        db, SYSTEM, EmailSend(record_type="lead", record_id=lead.id, subject="Offer", text="x",
                              kind=kind),  # type: ignore[arg-type]
    )  # fmt: skip


def feedback_report(message: Any, rcpt: str | None) -> bytes:
    report = Mime()
    report["From"] = "fbl@isp.example"
    report["To"] = f"bounces+{message.id.hex}@crm.example.com"
    report["Subject"] = "Abuse report"
    report["Message-ID"] = make_msgid(domain="isp.example")
    report.set_content("This is an email abuse report.")
    fields = "Feedback-Type: abuse\r\nUser-Agent: isp-fbl/1.0\r\nVersion: 1\r\n"
    if rcpt:
        fields += f"Original-Rcpt-To: {rcpt}\r\n"
    report.add_attachment(fields.encode(), maintype="message", subtype="feedback-report")
    original = f"Message-ID: {message.message_id}\r\nSubject: Offer\r\n\r\n".encode()
    report.add_attachment(original, maintype="text", subtype="rfc822-headers")
    report.replace_header("Content-Type", 'multipart/report; report-type="feedback-report"; '
                          f'boundary="{report.get_boundary()}"')  # fmt: skip
    return report.as_bytes()


@pytest.mark.parametrize("named", [True, False], ids=["Original-Rcpt-To", "the message's to"])
def test_a_complaint_stops_every_message_to_the_address(db: Any, named: bool) -> None:
    lead = make_lead(db, email="angry@customer.example")
    message = sent(db, lead)
    raw = feedback_report(message, "angry@customer.example" if named else None)
    outcome = receive(db, raw, mailbox=None, source="smtp")
    assert outcome.outcome == "complaint", outcome
    assert "angry@customer.example suppressed" in (outcome.detail or "")
    assert outcome.email_id is None  # not kept as conversation
    with pytest.raises(ValidationFailed) as refused:
        sent(db, lead)  # transactional mail too
    assert "complaint" in str(refused.value)


def test_the_unsubscribe_mailto_unsubscribes_the_recipients(db: Any) -> None:
    lead = make_lead(db, email="done@customer.example")
    message = sent(db, lead, kind="marketing")
    request = Mime()
    request["From"] = "done@customer.example"
    request["To"] = f"unsubscribe+{message.id.hex}@crm.example.com"
    request["Subject"] = "unsubscribe"
    request["Message-ID"] = make_msgid(domain="customer.example")
    request.set_content("")
    outcome = receive(db, request.as_bytes(), mailbox=None, source="smtp",
                      recipients=[f"unsubscribe+{message.id.hex}@crm.example.com"])  # fmt: skip
    assert outcome.outcome == "unsubscribe", outcome
    with pytest.raises(ValidationFailed):
        sent(db, lead, kind="marketing")
    assert sent(db, lead).state == "queued"  # transactional mail still goes
    # a forged mailto (no such message) is ordinary mail, not an unsubscribe
    request.replace_header("To", f"unsubscribe+{'0' * 32}@crm.example.com")
    request.replace_header("Message-ID", make_msgid(domain="customer.example"))
    assert receive(db, request.as_bytes(), mailbox=None, source="smtp").outcome == "stored"


def test_the_listener_accepts_our_addresses_only(db: Any, sessions: Any) -> None:
    service.put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="crm.example.com")
    )
    db.commit()
    handler = InboundHandler(sessions=sessions)
    hexid = "ab" * 16
    assert handler._accepts(f"unsubscribe+{hexid}@crm.example.com")
    assert handler._accepts(f"bounces+{hexid}@crm.example.com")
    assert not handler._accepts(f"unsubscribe+{hexid}@elsewhere.example")
    assert not handler._accepts("someone@crm.example.com")
