"""Received mail for tests: mailboxes, and messages as the bytes a server hands over (built
with ``email.message.EmailMessage``, so they are what real clients send), including replies,
attachments, auto-replies and delivery status notifications (RFC 3464); and mail already sent
to a lead or contact with its opens and clicks (``make_sent_email``, ``make_email_event``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from nexa.core.db import utcnow
from nexa.models import EmailEvent, Mailbox
from nexa.models import EmailMessage as EmailOut


def make_mailbox(db: Any, **fields: Any) -> Mailbox:
    fields.setdefault("address", f"box-{uuid.uuid4().hex[:8]}@crm.example.com")
    fields.setdefault("kind", "shared")
    fields.setdefault("imap_host", "127.0.0.1")
    fields.setdefault("imap_port", 143)
    fields.setdefault("imap_security", "none")
    mailbox = Mailbox(id=uuid.uuid4(), **fields)
    db.add(mailbox)
    db.flush()
    return mailbox


def mail(
    *,
    sender: str = "Pat Buyer <pat@customer.example>",
    to: str = "sales@crm.example.com",
    subject: str = "Pricing question",
    text: str = "Hello, what does the premium plan cost?",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@customer.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def dsn(
    *,
    recipient: str,
    status: str = "5.1.1",
    action: str = "failed",
    verp: str | None = None,
    original_message_id: str | None = None,
) -> bytes:
    """A delivery status notification as a mail server sends it: to the VERP address of
    the message it reports on, with the original's headers attached."""
    report = (
        "Reporting-MTA: dns; mx.customer.example\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; {'550 5.1.1 no such user' if status[0] == '5' else '452 full'}\r\n"
    )
    original = f"Message-ID: {original_message_id or '<unknown@nowhere>'}\r\nSubject: Hi\r\n\r\n"
    boundary = "=_report_" + uuid.uuid4().hex
    body = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
        f"To: {verp or 'crm@mail.example.com'}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.customer.example>\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: text/plain\r\n\r\n"
        f"Your message could not be delivered.\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: message/delivery-status\r\n\r\n"
        f"{report}"
        f"--{boundary}\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\n"
        f"{original}"
        f"--{boundary}--\r\n"
    )
    return body.encode()


def make_sent_email(
    db: Any,
    related_type: str,
    related_id: uuid.UUID,
    sent_at: datetime,
    *,
    flush: bool = True,
    **fields: Any,
) -> EmailOut:
    """An outgoing message already sent to a lead or contact (``replied_at`` etc. in
    ``fields``); ``flush=False`` to add many and flush once."""
    row_id = uuid.uuid4()
    defaults: dict[str, Any] = {
        "message_id": f"<{row_id.hex}@mail.example.com>",
        "kind": "marketing",
        "state": "sent",
        "from_name": "Nexa",
        "from_address": "crm@mail.example.com",
        "from_domain": "mail.example.com",
        "to": [{"name": "", "address": "member@example.org"}],
        "cc": [],
        "bcc": [],
        "subject": "News",
        "text_body": "Hello",
        "attempts": 1,
        "sent_at": sent_at,
        "direction": "out",
        "tracked": True,
    }
    message = EmailOut(
        id=row_id, related_type=related_type, related_id=related_id, **{**defaults, **fields}
    )
    db.add(message)
    if flush:
        db.flush()
    return message


def make_email_event(
    db: Any, message: EmailOut, kind: str, at: datetime, *, machine: bool = False
) -> EmailEvent:
    """An open or click of ``message`` at ``at`` (``machine``: a proxy's or scanner's)."""
    if message in db.new:  # the message first: nothing orders the two inserts otherwise
        db.flush()
    event = EmailEvent(id=uuid.uuid4(), message_id=message.id, kind=kind, at=at, machine=machine)
    db.add(event)
    return event
