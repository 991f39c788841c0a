"""Received mail as people see it: the mailboxes mail is read from, the threads (both
directions) and the attachments.

* **Mailboxes.** A user adds and changes their own ``personal`` mailboxes; ``shared`` ones
  (support@, sales@) and the rule that unknown senders create leads (``create_leads``) are
  admins' (``settings:write``). The IMAP password is sealed like the SMTP password
  (nexa.core.secretbox) and never shown (``password_set``). Everyone sees their own
  mailboxes; admins (``settings:read``) see all.
* **Threads.** Listed when the actor can read at least one of their messages; a thread shows
  the messages the actor can read (``email:read``: a rep their own mail, a manager the team's).
* **Attachments.** Served to whoever can read their message, from the file store.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.filestore import FileNotStored, default_store
from nexa.core.secretbox import seal
from nexa.email.repository import EmailRepository, InboundRepository
from nexa.email.schemas import (
    EmailThreadOut,
    EmailThreadSummary,
    MailboxIn,
    MailboxOut,
    MailboxUpdate,
)
from nexa.email.service import to_out
from nexa.models import EmailAttachment, EmailThread, Mailbox


def _may_manage(actor: Actor, mailbox: Mailbox) -> bool:
    if actor.can("settings:write"):
        return True
    return (
        mailbox.kind == "personal"
        and actor.user_id is not None
        and (mailbox.owner_id == actor.user_id)
    )


def to_mailbox_out(m: Mailbox) -> MailboxOut:
    return MailboxOut(
        id=m.id,
        address=m.address,
        kind="shared" if m.kind == "shared" else "personal",
        owner_id=m.owner_id,
        team_id=m.team_id,
        imap_host=m.imap_host,
        imap_port=m.imap_port,
        imap_security=m.imap_security,
        imap_username=m.imap_username,
        password_set=bool(m.imap_password),
        folder=m.folder,
        enabled=m.enabled,
        create_leads=m.create_leads,
        uidvalidity=m.uidvalidity,
        last_uid=m.last_uid,
        last_checked_at=m.last_checked_at,
        last_error=m.last_error,
        created_at=m.created_at,
    )


def list_mailboxes(session: Session, actor: Actor) -> list[Mailbox]:
    repo = InboundRepository(session)
    if actor.can("settings:read"):
        return repo.mailboxes()
    if actor.user_id is None:
        return []
    return repo.mailboxes(owner_id=actor.user_id)


def get_mailbox(session: Session, actor: Actor, mailbox_id: uuid.UUID) -> Mailbox:
    mailbox = InboundRepository(session).mailbox(mailbox_id)
    if mailbox is None or not (actor.can("settings:read") or _may_manage(actor, mailbox)):
        raise NotFound("no mailbox of yours with this id")
    return mailbox


def create_mailbox(session: Session, actor: Actor, data: MailboxIn) -> Mailbox:
    if data.kind == "shared" or data.create_leads or data.team_id is not None:
        if not actor.can("settings:write"):
            raise PermissionDenied(
                "only admins add shared mailboxes, teams and the lead-creation rule"
            )
    elif actor.user_id is None:
        raise PermissionDenied("a personal mailbox belongs to a user")
    if not data.address:
        raise ValidationFailed("an address is needed", field="address")
    repo = InboundRepository(session)
    if repo.mailbox_by_address(data.address) is not None:
        raise Conflict(f"a mailbox for {data.address} exists", field="address")
    password = ""
    if data.imap_password:
        password = seal(data.imap_password, get_settings().effective_secret_key)
    return repo.add(
        Mailbox(
            id=uuid.uuid4(),
            address=data.address.lower(),
            kind=data.kind,
            owner_id=actor.user_id if data.kind == "personal" else None,
            team_id=data.team_id,
            imap_host=data.imap_host.strip(),
            imap_port=data.imap_port,
            imap_security=data.imap_security,
            imap_username=data.imap_username,
            imap_password=password,
            folder=data.folder,
            enabled=data.enabled,
            create_leads=data.create_leads,
            last_uid=0,
        )
    )


def update_mailbox(
    session: Session, actor: Actor, mailbox_id: uuid.UUID, data: MailboxUpdate
) -> Mailbox:
    mailbox = get_mailbox(session, actor, mailbox_id)
    if not _may_manage(actor, mailbox):
        raise PermissionDenied("only admins change shared mailboxes")
    given = data.model_fields_set
    if "create_leads" in given and not actor.can("settings:write"):
        raise PermissionDenied("only admins set the lead-creation rule")
    for name in ("imap_host", "imap_port", "imap_security", "imap_username", "folder"):
        if name in given:
            value = getattr(data, name)
            if value is None:
                raise ValidationFailed(f"{name} cannot be empty", field=name)
            setattr(mailbox, name, value)
    for name in ("enabled", "create_leads"):
        if name in given and getattr(data, name) is not None:
            setattr(mailbox, name, getattr(data, name))
    if "imap_password" in given:
        password = data.imap_password or ""
        mailbox.imap_password = (
            seal(password, get_settings().effective_secret_key) if password else ""
        )
    if given & {"imap_host", "imap_username", "folder"}:
        mailbox.uidvalidity, mailbox.last_uid = None, 0  # another folder: read it from the start
    mailbox.last_error = None
    session.flush()
    return mailbox


def delete_mailbox(session: Session, actor: Actor, mailbox_id: uuid.UUID) -> None:
    mailbox = get_mailbox(session, actor, mailbox_id)
    if not _may_manage(actor, mailbox):
        raise PermissionDenied("only admins remove shared mailboxes")
    InboundRepository(session).delete(mailbox)


def receipts(session: Session, actor: Actor, mailbox_id: uuid.UUID | None = None) -> list[Any]:
    if not actor.can("settings:read"):
        raise PermissionDenied("you may not read the mail receipts")
    return InboundRepository(session).receipts(mailbox_id)


# ---- threads and attachments --------------------------------------------------------------


def _require_read(actor: Actor) -> None:
    if not actor.can("email:read"):
        raise PermissionDenied("you may not read email")


def summary(thread: EmailThread) -> EmailThreadSummary:
    return EmailThreadSummary(
        id=thread.id,
        subject=thread.subject,
        first_message_at=thread.first_message_at,
        last_message_at=thread.last_message_at,
        message_count=thread.message_count,
        record_type=thread.related_type,
        record_id=thread.related_id,
    )


def list_threads(
    session: Session,
    actor: Actor,
    *,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[EmailThread]:
    _require_read(actor)
    readable = EmailRepository(session).readable(actor)
    return InboundRepository(session).threads_page(
        readable, record_type=record_type, record_id=record_id, limit=limit
    )


def get_thread(session: Session, actor: Actor, thread_id: uuid.UUID) -> EmailThreadOut:
    _require_read(actor)
    repo = InboundRepository(session)
    thread = repo.thread(thread_id)
    messages = repo.thread_messages(EmailRepository(session).readable(actor), thread_id)
    if thread is None or not messages:
        raise NotFound("no thread you can read with this id")
    attachments: dict[uuid.UUID, list[EmailAttachment]] = {}
    for a in repo.attachments_of([m.id for m in messages]):
        attachments.setdefault(a.email_id, []).append(a)
    return EmailThreadOut(
        **summary(thread).model_dump(),
        messages=[to_out(m, attachments.get(m.id, [])) for m in messages],
    )


def attachments_of(session: Session, email_id: uuid.UUID) -> list[EmailAttachment]:
    return InboundRepository(session).attachments_of([email_id])


def open_attachment(
    session: Session, actor: Actor, attachment_id: uuid.UUID
) -> tuple[EmailAttachment, bytes]:
    """The attachment and its bytes, for whoever can read its message (else 404)."""
    _require_read(actor)
    attachment = InboundRepository(session).attachment(attachment_id)
    if attachment is None or not EmailRepository(session).can_read(actor, attachment.email_id):
        raise NotFound("no attachment you can read with this id")
    if attachment.file_key is None:
        raise NotFound(f"this attachment was not kept: {attachment.refused}")
    try:
        return attachment, default_store().read(attachment.file_key)
    except FileNotStored:
        raise NotFound("this attachment's file is missing from the file store") from None
