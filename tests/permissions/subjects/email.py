"""Email: a sent message owned by its sender, a template owned by its author, and valid
bodies (the SMTP settings are stored first; delivery jobs are only recorded, nothing is sent)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM
from tests.permissions.subjects import Request, Subject


def _settings(db: Any) -> None:
    from nexa.email.schemas import SmtpSettingsIn
    from nexa.email.service import put_smtp_settings

    put_smtp_settings(
        db, SYSTEM, SmtpSettingsIn(host="127.0.0.1", port=2525, from_domain="mail.example.com")
    )


def _email(db: Any, owner_id: Any) -> Any:
    from nexa.models import EmailMessage

    row_id = uuid.uuid4()
    message = EmailMessage(
        id=row_id,
        message_id=f"<{row_id.hex}@mail.example.com>",
        kind="transactional",
        state="sent",
        from_name="Nexa",
        from_address="crm@mail.example.com",
        from_domain="mail.example.com",
        to=[{"name": "", "address": "someone@example.org"}],
        cc=[],
        bcc=[],
        subject="Hello",
        text_body="Hi",
        attempts=1,
        owner_id=owner_id,
    )
    db.add(message)
    db.flush()
    return message


def _template(db: Any, owner_id: Any) -> Any:
    from nexa.models import EmailTemplate

    template = EmailTemplate(
        id=uuid.uuid4(),
        name="Intro",
        subject="Hi",
        text_body="Hello",
        html_body="",
        owner_id=owner_id,
    )
    db.add(template)
    db.flush()
    return template


def _own_lead(db: Any, cast: Any) -> Any:
    from tests.factories.lead import make_lead

    return make_lead(db, owner_id=cast.actor.id, email=f"l{uuid.uuid4().hex[:8]}@example.org")


def _record_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    """A thread holding the message, or an attachment of it (its file in the store)."""
    from nexa.core.db import utcnow
    from nexa.core.filestore import default_store
    from nexa.models import EmailAttachment, EmailThread

    if route.path == "/api/v1/email-threads/{}":
        now = utcnow()
        thread = EmailThread(
            id=uuid.uuid4(),
            subject="Hello",
            subject_key="hello",
            first_message_at=now,
            last_message_at=now,
            message_count=1,
        )
        db.add(thread)
        db.flush()
        record.thread_id = thread.id
        db.flush()
        return f"/api/v1/email-threads/{thread.id}", None, None
    if route.path == "/api/v1/email-attachments/{}":
        attachment = EmailAttachment(
            id=uuid.uuid4(),
            email_id=record.id,
            filename="quote.pdf",
            content_type="application/pdf",
            size=4,
            file_key=default_store().put(b"%PDF").key,
            created_at=utcnow(),
        )
        db.add(attachment)
        db.flush()
        return f"/api/v1/email-attachments/{attachment.id}", None, None
    return None


def _mailbox(db: Any, cast: Any) -> Any:
    from nexa.models import Mailbox

    mailbox = Mailbox(
        id=uuid.uuid4(),
        address=f"me-{uuid.uuid4().hex[:8]}@example.org",
        kind="personal",
        owner_id=cast.actor.id,
    )
    db.add(mailbox)
    db.flush()
    return mailbox


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/email/mailboxes" and route.method == "POST":
        body = {"address": f"me-{uuid.uuid4().hex[:8]}@example.org", "imap_host": "127.0.0.1"}
        return route.path, body, None
    if route.path == "/api/v1/email/mailboxes/{}":
        path = f"/api/v1/email/mailboxes/{_mailbox(db, cast).id}"
        return path, ({"folder": "Archive"} if route.method == "PATCH" else None), None
    if route.path == "/api/v1/emails" and route.method == "POST":
        _settings(db)
        lead = _own_lead(db, cast)
        body = {"record_type": "lead", "record_id": str(lead.id), "subject": "Hi", "text": "Hi"}
        return route.path, body, None
    if route.path == "/api/v1/emails/draft":
        lead = _own_lead(db, cast)
        return (
            route.path,
            {"record_type": "lead", "record_id": str(lead.id), "intent": "intro"},
            None,
        )
    if route.path == "/api/v1/email-templates/preview":
        lead = _own_lead(db, cast)
        body = {"record_type": "lead", "record_id": str(lead.id), "subject": "Hi", "text": "Hi"}
        return route.path, body, None
    if route.path == "/api/v1/email-templates" and route.method == "POST":
        return (
            route.path,
            {"name": "Intro", "subject": "Hi {{ lead.first_name }}", "text": "x"},
            None,
        )
    if route.path == "/api/v1/email/settings" and route.method == "PUT":
        return route.path, {"host": "smtp.example.com", "from_domain": "mail.example.com"}, None
    if route.path == "/api/v1/email/policy" and route.method == "PUT":
        return route.path, {"tracking": True, "marketing_requires_opt_in": False}, None
    if route.path == "/api/v1/email/suppressions" and route.method == "POST":
        return route.path, {"address": "gone@example.org", "reason": "unsubscribe"}, None
    if route.path == "/api/v1/email/senders" and route.method == "POST":
        return route.path, {"name": "Me", "address": "me@example.org"}, None
    if route.path == "/api/v1/email/senders/{}":
        from nexa.models import SenderIdentity

        sender = SenderIdentity(
            id=uuid.uuid4(), user_id=cast.actor.id, name="Me", address="me@example.org"
        )
        db.add(sender)
        db.flush()
        return f"/api/v1/email/senders/{sender.id}", None, None
    return None


SUBSCRIPTIONS_BODY = {"items": [{"type": "newsletter", "status": "subscribed", "source": "form"}]}


def subscriptions_request(route: Any, record: Any) -> Request | None:
    """The body of PUT /api/v1/{contacts,leads}/{id}/subscriptions (the contact and lead
    subjects call this)."""
    if route.path.endswith("/subscriptions") and route.method == "PUT":
        return route.path.replace("{}", str(record.id)), SUBSCRIPTIONS_BODY, None
    if route.path.endswith("/next-best-action"):  # issue 19 (Use Case 4's handleResponse)
        body = {"response": {"kind": "replied", "text": "Sounds good, call me"}}
        return route.path.replace("{}", str(record.id)), body, None
    return None


SUBJECTS = [
    Subject(
        "email",
        _email,
        list_path="/api/v1/emails",
        other_request=_other_request,
        record_request=_record_request,
    ),
    Subject(
        "email_template",
        _template,
        update_body={"name": "Renamed"},
        list_path="/api/v1/email-templates",
    ),
]
