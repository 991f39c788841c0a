"""The notification centre's email channel: a user who asked for it (``notify_by_email``, on
the profile page) gets each notification by email too, when email is set up."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage, publish
from nexa.email.events import QUEUED
from nexa.email.repository import EmailRepository
from nexa.email.service import _payload
from nexa.models import EmailMessage
from nexa.notification.service import wants

RECORD_PAGES = {
    "lead": "leads",
    "contact": "contacts",
    "account": "accounts",
    "deal": "deals",
    "task": "tasks",
    "quote": "quotes",
    "order": "orders",
    "meeting": "meetings",
}


def on_notification(session: Session, outbox: OutboxMessage) -> None:
    """Outbox handler for ``notification.created`` (after commit): the email channel of the
    notification centre. A user who asked for it (``notify_by_email``, on the profile page)
    gets each notification by email too, when email is set up. Safe to run twice: the
    message's Message-ID is made from the notification's id."""
    if outbox.record_id is None:
        return
    repo = EmailRepository(session)
    note = repo.notification(outbox.record_id)
    smtp = repo.smtp_settings()
    if note is None or not smtp:
        return
    user = repo.user(note.user_id)
    if user is None or not user.is_active or not wants(user, note.kind, "email"):
        return
    domain = str(smtp["from_domain"])
    message_id = f"<notification-{note.id.hex}@{domain}>"
    if repo.by_message_id(message_id) is not None:
        return
    settings = get_settings()
    link = settings.public_url.rstrip("/")
    if note.record_type in RECORD_PAGES and note.record_id is not None:
        link += f"/{RECORD_PAGES[note.record_type]}/{note.record_id}"
    else:
        link += "/notifications"
    subject = " ".join(note.title.split())[:300]
    text = f"{note.body or note.title}\n\n{link}\n\n-- \nYou get this because you asked for "
    text += f"notifications by email ({settings.public_url.rstrip('/')}/profile)."
    row_id = uuid.uuid4()
    now = utcnow()
    from_name = str(smtp.get("from_name") or settings.org_name)
    message = repo.add(
        EmailMessage(
            id=row_id,
            message_id=message_id,
            kind="transactional",
            state="queued",
            from_name=from_name,
            from_address=f"{smtp.get('from_local_part', 'crm')}@{domain}",
            from_domain=domain,
            to=[{"name": user.full_name, "address": user.email}],
            cc=[],
            bcc=[],
            subject=subject,
            text_body=text,
            related_type=None,
            related_id=None,
            attempts=0,
            next_attempt_at=now,
            owner_id=None,
        )
    )
    publish(
        session, SYSTEM, QUEUED.name, record_type="email", record_id=message.id,
        payload=_payload(message),
    )  # fmt: skip
