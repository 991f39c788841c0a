"""All of email's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update

from nexa.core.actor import Actor
from nexa.core.repository import Repository, unscoped
from nexa.models import (
    Contact,
    Deal,
    EmailAttachment,
    EmailMessage,
    EmailReceipt,
    EmailSuppression,
    EmailTemplate,
    EmailThread,
    Lead,
    Mailbox,
    OrgSetting,
    SenderIdentity,
    User,
)

SMTP_SETTINGS_KEY = "email.smtp"
RETRYABLE = ("queued", "deferred")


class EmailRepository(Repository[EmailMessage]):
    model = EmailMessage
    object_name = "email"

    # ---- the actor's view -------------------------------------------------------------------

    def page(
        self,
        actor: Actor,
        *,
        state: str | None = None,
        record_type: str | None = None,
        record_id: uuid.UUID | None = None,
        limit: int = 50,
    ) -> list[EmailMessage]:
        stmt = self.readable(actor)
        if state:
            stmt = stmt.where(EmailMessage.state == state)
        if record_type:
            stmt = stmt.where(EmailMessage.related_type == record_type)
        if record_id:
            stmt = stmt.where(EmailMessage.related_id == record_id)
        stmt = stmt.order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def add(self, message: EmailMessage) -> EmailMessage:
        self.session.add(message)
        self.session.flush()
        return message

    # ---- the worker (system: unscoped on purpose) --------------------------------------------

    def due_ids(self, now: datetime, limit: int) -> list[uuid.UUID]:
        stmt = (
            select(EmailMessage.id)
            .where(EmailMessage.state.in_(RETRYABLE), EmailMessage.next_attempt_at <= now)
            .order_by(EmailMessage.next_attempt_at, EmailMessage.id)
            .limit(limit)
        )
        return list(self.session.scalars(unscoped(stmt)))

    def claim(
        self, message_ids: list[uuid.UUID], now: datetime, lease_until: datetime
    ) -> list[EmailMessage]:
        """Take the due messages among ``message_ids`` for one attempt, in one statement
        (compare-and-set: of two workers racing for a message one gets it, RETURNING says
        which); their next attempt moves to ``lease_until`` in case this worker dies
        mid-send. Returns the claimed rows, loaded in one query."""
        if not message_ids:
            return []
        stmt = (
            update(EmailMessage)
            .where(
                EmailMessage.id.in_(message_ids),
                EmailMessage.state.in_(RETRYABLE),
                EmailMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until, attempts=EmailMessage.attempts + 1)
            .returning(EmailMessage.id)
            .execution_options(synchronize_session=False)
        )
        claimed = list(self.session.scalars(stmt))
        return self.messages(claimed)

    def messages(self, message_ids: list[uuid.UUID]) -> list[EmailMessage]:
        """The rows (fresh from the database), in the order of ``message_ids``."""
        if not message_ids:
            return []
        stmt = unscoped(select(EmailMessage).where(EmailMessage.id.in_(message_ids)))
        rows = {
            m.id: m for m in self.session.scalars(stmt.execution_options(populate_existing=True))
        }
        return [rows[i] for i in message_ids if i in rows]

    def release(self, message_id: uuid.UUID, until: datetime, reply: str) -> None:
        """Put a claimed message back without counting the attempt (the rate limit)."""
        stmt = (
            update(EmailMessage)
            .where(EmailMessage.id == message_id)
            .values(
                next_attempt_at=until,
                attempts=EmailMessage.attempts - 1,
                state="deferred",
                last_reply=reply,
            )
            .execution_options(synchronize_session=False)
        )
        self.session.execute(stmt)

    def sent_since(self, from_domain: str, since: datetime) -> tuple[int, datetime | None]:
        """How many messages of ``from_domain`` were delivered since ``since``, and the oldest."""
        stmt = select(func.count(), func.min(EmailMessage.sent_at)).where(
            EmailMessage.from_domain == from_domain, EmailMessage.sent_at >= since
        )
        count, oldest = self.session.execute(unscoped(stmt)).one()
        return int(count or 0), oldest

    # ---- suppression -------------------------------------------------------------------------

    def suppressions_of(self, addresses: list[str]) -> list[EmailSuppression]:
        if not addresses:
            return []
        stmt = select(EmailSuppression).where(
            func.lower(EmailSuppression.address).in_([a.lower() for a in addresses])
        )
        return list(self.session.scalars(stmt))

    def suppression(self, address: str, reason: str) -> EmailSuppression | None:
        stmt = select(EmailSuppression).where(
            func.lower(EmailSuppression.address) == address.lower(),
            EmailSuppression.reason == reason,
        )
        return self.session.scalars(stmt).first()

    def suppressions(self, limit: int = 500) -> list[EmailSuppression]:
        stmt = select(EmailSuppression).order_by(EmailSuppression.created_at.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def add_suppression(self, row: EmailSuppression) -> EmailSuppression:
        self.session.add(row)
        self.session.flush()
        return row

    # ---- settings, senders, users ------------------------------------------------------------

    def smtp_settings(self) -> dict[str, Any] | None:
        """The stored settings, read once per transaction (a batch of sends reads them once;
        ``set_smtp_settings`` replaces the copy)."""
        cache = self.session.info.setdefault("email.smtp", {})
        if "value" not in cache:
            row = self.session.get(OrgSetting, SMTP_SETTINGS_KEY)
            value = row.value if row is not None and isinstance(row.value, dict) else None
            cache["value"] = dict(value) if value else None
        return dict(cache["value"]) if cache["value"] else None

    def set_smtp_settings(self, value: dict[str, Any]) -> None:
        self.session.info["email.smtp"] = {"value": dict(value)}
        row = self.session.get(OrgSetting, SMTP_SETTINGS_KEY)
        if row is None:
            self.session.add(OrgSetting(key=SMTP_SETTINGS_KEY, value=value))
        else:
            row.value = value
        self.session.flush()

    def senders_of(self, user_id: uuid.UUID) -> list[SenderIdentity]:
        stmt = (
            select(SenderIdentity)
            .where(SenderIdentity.user_id == user_id)
            .order_by(SenderIdentity.created_at, SenderIdentity.id)
        )
        return list(self.session.scalars(stmt))

    def sender(self, sender_id: uuid.UUID) -> SenderIdentity | None:
        return self.session.get(SenderIdentity, sender_id)

    def add_sender(self, sender: SenderIdentity) -> SenderIdentity:
        self.session.add(sender)
        self.session.flush()
        return sender

    def delete(self, row: Any) -> None:
        self.session.delete(row)
        self.session.flush()

    def user(self, user_id: uuid.UUID | None) -> User | None:
        return self.session.get(User, user_id) if user_id else None


class InboundRepository:
    """The SQL of receiving mail: threads, mailboxes, attachments, receipts, and the lookups
    that match a message to its records (the system's work: unscoped on purpose; what a
    person then reads goes through ``EmailRepository.readable``)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    # ---- messages and threads ----------------------------------------------------------------

    def message_exists(self, message_id: str) -> bool:
        stmt = select(exists().where(EmailMessage.message_id == message_id))
        return bool(self.session.scalar(stmt))

    def threads_of(self, message_ids: list[str]) -> dict[str, tuple[uuid.UUID, str]]:
        """Message-ID → (thread id, direction) of the stored messages among ``message_ids``."""
        if not message_ids:
            return {}
        stmt = select(
            EmailMessage.message_id, EmailMessage.thread_id, EmailMessage.direction
        ).where(EmailMessage.message_id.in_(message_ids), EmailMessage.thread_id.is_not(None))
        return {m: (t, d) for m, t, d in self.session.execute(unscoped(stmt)).all()}

    def message_by_row(self, row_id: uuid.UUID) -> EmailMessage | None:
        stmt = unscoped(select(EmailMessage).where(EmailMessage.id == row_id))
        return self.session.scalars(stmt).first()

    def message_by_message_id(self, message_id: str) -> EmailMessage | None:
        stmt = unscoped(select(EmailMessage).where(EmailMessage.message_id == message_id))
        return self.session.scalars(stmt).first()

    def thread(self, thread_id: uuid.UUID) -> EmailThread | None:
        return self.session.get(EmailThread, thread_id)

    def thread_by_subject(
        self,
        key: str,
        since: datetime,
        related: tuple[str, uuid.UUID] | None,
    ) -> EmailThread | None:
        stmt = select(EmailThread).where(
            EmailThread.subject_key == key, EmailThread.last_message_at >= since
        )
        if related is not None:
            stmt = stmt.where(
                EmailThread.related_type == related[0], EmailThread.related_id == related[1]
            )
        stmt = stmt.order_by(EmailThread.last_message_at.desc()).limit(1)
        return self.session.scalars(stmt).first()

    def threads_page(
        self,
        readable: Any,
        *,
        record_type: str | None,
        record_id: uuid.UUID | None,
        limit: int,
    ) -> list[EmailThread]:
        """Threads holding at least one message of ``readable`` (the actor's messages),
        newest activity first; the record filter matches the thread's record or any of its
        messages'."""
        mine = readable.with_only_columns(EmailMessage.thread_id).where(
            EmailMessage.thread_id.is_not(None)
        )
        if record_type and record_id:
            mine = mine.where(
                EmailMessage.related_type == record_type, EmailMessage.related_id == record_id
            )
        stmt = (
            select(EmailThread)
            .where(EmailThread.id.in_(mine))
            .order_by(EmailThread.last_message_at.desc(), EmailThread.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def thread_messages(self, readable: Any, thread_id: uuid.UUID) -> list[EmailMessage]:
        stmt = readable.where(EmailMessage.thread_id == thread_id).order_by(
            func.coalesce(EmailMessage.received_at, EmailMessage.created_at), EmailMessage.id
        )
        return list(self.session.scalars(stmt))

    def attachments_of(self, email_ids: list[uuid.UUID]) -> list[EmailAttachment]:
        if not email_ids:
            return []
        stmt = (
            select(EmailAttachment)
            .where(EmailAttachment.email_id.in_(email_ids))
            .order_by(EmailAttachment.created_at, EmailAttachment.id)
        )
        return list(self.session.scalars(stmt))

    def attachment(self, attachment_id: uuid.UUID) -> EmailAttachment | None:
        return self.session.get(EmailAttachment, attachment_id)

    # ---- matching ---------------------------------------------------------------------------

    def contact_by_email(self, key: str) -> Contact | None:
        stmt = unscoped(
            select(Contact).where(Contact.email_key == key, Contact.deleted_at.is_(None)).limit(1)
        )
        return self.session.scalars(stmt).first()

    def lead_by_email(self, key: str) -> Lead | None:
        stmt = unscoped(
            select(Lead)
            .where(Lead.email_key == key, Lead.deleted_at.is_(None))
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def open_deal_of(self, account_id: uuid.UUID) -> Deal | None:
        """The account's most recently changed open deal."""
        stmt = unscoped(
            select(Deal)
            .where(
                Deal.account_id == account_id,
                Deal.stage_kind == "open",
                Deal.deleted_at.is_(None),
            )
            .order_by(Deal.updated_at.desc(), Deal.id)
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    # ---- mailboxes and receipts -------------------------------------------------------------

    def mailbox(self, mailbox_id: uuid.UUID) -> Mailbox | None:
        return self.session.get(Mailbox, mailbox_id)

    def mailbox_by_address(self, address: str) -> Mailbox | None:
        stmt = select(Mailbox).where(func.lower(Mailbox.address) == address.lower())
        return self.session.scalars(stmt).first()

    def mailboxes(
        self, *, enabled_only: bool = False, owner_id: uuid.UUID | None = None
    ) -> list[Mailbox]:
        stmt = select(Mailbox)
        if enabled_only:
            stmt = stmt.where(Mailbox.enabled.is_(True))
        if owner_id is not None:
            stmt = stmt.where(Mailbox.owner_id == owner_id)
        return list(self.session.scalars(stmt.order_by(Mailbox.address)))

    def addresses_of_mailboxes(self) -> set[str]:
        return {a.lower() for a in self.session.scalars(select(Mailbox.address))}

    def delete(self, row: Any) -> None:
        self.session.delete(row)
        self.session.flush()

    def receipts(self, mailbox_id: uuid.UUID | None = None, limit: int = 100) -> list[EmailReceipt]:
        stmt = select(EmailReceipt)
        if mailbox_id is not None:
            stmt = stmt.where(EmailReceipt.mailbox_id == mailbox_id)
        stmt = stmt.order_by(EmailReceipt.created_at.desc(), EmailReceipt.id).limit(limit)
        return list(self.session.scalars(stmt))


class EmailTemplateRepository(Repository[EmailTemplate]):
    model = EmailTemplate
    object_name = "email_template"

    def listed(self, actor: Actor, *, kind: str | None = None) -> list[EmailTemplate]:
        stmt = self.readable(actor)
        if kind:
            stmt = stmt.where(EmailTemplate.kind == kind)
        return list(self.session.scalars(stmt.order_by(EmailTemplate.name, EmailTemplate.id)))

    def add(self, template: EmailTemplate) -> EmailTemplate:
        self.session.add(template)
        self.session.flush()
        return template

    def delete(self, template: EmailTemplate) -> None:
        self.session.delete(template)
        self.session.flush()


__all__ = ["EmailRepository", "EmailTemplateRepository", "InboundRepository"]
