"""All of email's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case, exists, func, insert, select, update

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.repository import REPOSITORIES, Repository, unscoped
from nexa.core.text import text_key
from nexa.models import (
    Contact,
    Deal,
    EmailAttachment,
    EmailEvent,
    EmailMessage,
    EmailReceipt,
    EmailSubscription,
    EmailSuppression,
    EmailTemplate,
    EmailThread,
    Lead,
    Mailbox,
    Notification,
    OrgSetting,
    PipelineStage,
    SenderIdentity,
    User,
)

SMTP_SETTINGS_KEY = "email.smtp"
POLICY_KEY = "email.policy"
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
        owner_id: uuid.UUID | None = None,
        limit: int = 50,
    ) -> list[EmailMessage]:
        stmt = self.readable(actor)
        if owner_id:
            stmt = stmt.where(EmailMessage.owner_id == owner_id)
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

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """New messages, one executemany (every row names every column)."""
        table = EmailMessage.__table__
        assert isinstance(table, Table)
        self.session.execute(insert(table), rows)

    def readable_records(
        self, actor: Actor, record_type: str, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        """The records of ``record_type`` among ``ids`` that ``actor`` reads, by id (a few
        statements for thousands of ids)."""
        repo = REPOSITORIES[record_type](self.session)
        found: dict[uuid.UUID, Any] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            stmt = repo.readable(actor).where(repo.model.id.in_(chunk))
            found.update((row.id, row) for row in self.session.scalars(stmt))
        return found

    def users(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not ids:
            return {}
        stmt = unscoped(select(User).where(User.id.in_(ids)))
        return {u.id: u for u in self.session.scalars(stmt)}

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

    def store_outcome(self, message_id: uuid.UUID, values: dict[str, Any]) -> None:
        """One attempt's outcome, its events still to publish (``outcome_pending``)."""
        stmt = (
            update(EmailMessage)
            .where(EmailMessage.id == message_id)
            .values(**values, outcome_pending=True, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        self.session.execute(stmt)

    def take_pending_outcomes(self, message_ids: list[uuid.UUID] | None) -> list[EmailMessage]:
        """Clear ``outcome_pending`` on the messages (among ``message_ids``, or any) that
        have it, in one compare-and-set statement; returns those rows."""
        if message_ids is not None and not message_ids:
            return []
        stmt = update(EmailMessage).where(EmailMessage.outcome_pending.is_(True))
        if message_ids is not None:
            stmt = stmt.where(EmailMessage.id.in_(message_ids))
        stmt = (
            stmt.values(outcome_pending=False)
            .returning(EmailMessage.id)
            .execution_options(synchronize_session=False)
        )
        return self.messages(list(self.session.scalars(stmt)))

    def stale_pending_outcomes(self, before: datetime, limit: int = 1000) -> list[uuid.UUID]:
        """Messages whose outcome was stored before ``before`` and never published (the
        worker died between the SMTP reply and the batch's events)."""
        stmt = unscoped(
            select(EmailMessage.id)
            .where(EmailMessage.outcome_pending.is_(True), EmailMessage.updated_at < before)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

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

    def suppression(
        self, address: str, reason: str, kind: str | None = None
    ) -> EmailSuppression | None:
        stmt = select(EmailSuppression).where(
            func.lower(EmailSuppression.address) == address.lower(),
            EmailSuppression.reason == reason,
        )
        if kind is not None:
            stmt = stmt.where(EmailSuppression.kind == kind)
        return self.session.scalars(stmt).first()

    def suppressions(self, limit: int = 500) -> list[EmailSuppression]:
        stmt = select(EmailSuppression).order_by(EmailSuppression.created_at.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def remove_suppression(self, address: str, reason: str, kind: str) -> None:
        row = self.suppression(address, reason, kind)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def add_suppression(self, row: EmailSuppression) -> EmailSuppression:
        self.session.add(row)
        self.session.flush()
        return row

    # ---- tracking (the public pixel and links: system, unscoped on purpose) -----------------

    def tracked(self, message_id: uuid.UUID) -> EmailMessage | None:
        stmt = unscoped(select(EmailMessage).where(EmailMessage.id == message_id))
        return self.session.scalars(stmt).first()

    def count_engagement(
        self, message_id: uuid.UUID, kind: str, machine: bool, at: datetime
    ) -> bool:
        """Add one open or click to the message's counters in one statement (concurrent
        opens do not lose counts); a person's first one sets ``first_*_at``. Returns whether
        this was that first one."""
        column = {
            ("open", False): "opens",
            ("open", True): "machine_opens",
            ("click", False): "clicks",
            ("click", True): "machine_clicks",
        }[(kind, machine)]
        values: dict[str, Any] = {column: getattr(EmailMessage, column) + 1}
        first = EmailMessage.first_opened_at if kind == "open" else EmailMessage.first_clicked_at
        if not machine:
            values[first.key] = func.coalesce(first, at)
        stmt = (
            update(EmailMessage)
            .where(EmailMessage.id == message_id)
            .values(**values)
            .returning(first)
            .execution_options(synchronize_session=False)
        )
        stamped = self.session.scalars(stmt).first()
        return not machine and stamped is not None and stamped == at

    def add_event(self, row: EmailEvent) -> None:
        self.session.add(row)
        self.session.flush()

    def events_of(self, message_id: uuid.UUID, limit: int = 200) -> list[EmailEvent]:
        stmt = (
            select(EmailEvent)
            .where(EmailEvent.message_id == message_id)
            .order_by(EmailEvent.at.desc(), EmailEvent.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def engagement_totals(self, since: datetime | None = None) -> dict[str, int]:
        """Sent, opened (by a person) and clicked messages, for rates."""
        stmt = select(
            func.count(),
            func.count(EmailMessage.first_opened_at),
            func.count(EmailMessage.first_clicked_at),
        ).where(EmailMessage.sent_at.is_not(None), EmailMessage.tracked.is_(True))
        if since is not None:
            stmt = stmt.where(EmailMessage.sent_at >= since)
        sent, opened, clicked = self.session.execute(unscoped(stmt)).one()
        return {"sent": int(sent or 0), "opened": int(opened or 0), "clicked": int(clicked or 0)}

    # ---- consent -----------------------------------------------------------------------------

    def subscriptions_by_address(
        self, addresses: list[str], subscription_type: str
    ) -> list[EmailSubscription]:
        """Every contact's and lead's status for ``subscription_type`` at these addresses, in
        one query."""
        if not addresses:
            return []
        stmt = select(EmailSubscription).where(
            EmailSubscription.address.in_(sorted({a.lower() for a in addresses})),
            EmailSubscription.type == subscription_type,
        )
        return list(self.session.scalars(stmt))

    def subscriptions_of(self, record_type: str, record_id: uuid.UUID) -> list[EmailSubscription]:
        stmt = select(EmailSubscription).where(
            EmailSubscription.record_type == record_type,
            EmailSubscription.record_id == record_id,
        )
        return list(self.session.scalars(stmt))

    def subscriptions_of_records(
        self, records: list[tuple[str, uuid.UUID]], types: list[str]
    ) -> list[EmailSubscription]:
        ids = sorted({record_id for _, record_id in records})
        if not ids:
            return []
        stmt = select(EmailSubscription).where(
            EmailSubscription.record_id.in_(ids), EmailSubscription.type.in_(types)
        )
        wanted = set(records)
        return [s for s in self.session.scalars(stmt) if (s.record_type, s.record_id) in wanted]

    def add_subscription(self, row: EmailSubscription) -> None:
        self.session.add(row)
        self.session.flush()

    def people_at(self, addresses: list[str]) -> list[tuple[str, uuid.UUID, str]]:
        """(record type, id, address) of each live contact and lead with one of these email
        addresses (the unsubscribe link acts for the recipient: system, unscoped)."""
        keys = sorted({k for k in (text_key(a) for a in addresses) if k})
        if not keys:
            return []
        found: list[tuple[str, uuid.UUID, str]] = []
        for record_type, model in (("contact", Contact), ("lead", Lead)):
            stmt = select(model.id, model.email).where(
                model.email_key.in_(keys), model.deleted_at.is_(None)
            )
            found += [
                (record_type, row_id, str(email).lower())
                for row_id, email in self.session.execute(unscoped(stmt))
            ]
        return found

    # ---- settings, senders, users ------------------------------------------------------------

    def policy(self) -> dict[str, Any]:
        """The tracking and consent settings (defaults when never saved), once per
        transaction."""
        cache = self.session.info.setdefault("email.policy", {})
        if "value" not in cache:
            row = self.session.get(OrgSetting, POLICY_KEY)
            cache["value"] = dict(row.value) if row and isinstance(row.value, dict) else {}
        return dict(cache["value"])

    def set_policy(self, value: dict[str, Any]) -> None:
        self.session.info["email.policy"] = {"value": dict(value)}
        row = self.session.get(OrgSetting, POLICY_KEY)
        if row is None:
            self.session.add(OrgSetting(key=POLICY_KEY, value=value))
        else:
            row.value = value
        self.session.flush()

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

    def contact(self, contact_id: uuid.UUID | None) -> Contact | None:
        return self.session.get(Contact, contact_id) if contact_id else None

    def notification(self, notification_id: uuid.UUID) -> Notification | None:
        return self.session.get(Notification, notification_id)

    def by_message_id(self, message_id: str) -> uuid.UUID | None:
        stmt = unscoped(select(EmailMessage.id).where(EmailMessage.message_id == message_id))
        return self.session.scalars(stmt).first()


class AssistantRepository:
    """What the drafting assistant reads of a record: its open deal, latest call or meeting,
    oldest open task, the templates of an intent with their sent and replied counts. Every
    record through its type's repository, scoped by the actor."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def _linked(self, actor: Actor, kind: str, record_type: str, record_id: uuid.UUID) -> Any:
        repo = REPOSITORIES[kind](self.session)
        model = repo.model
        return repo.readable(actor).where(
            model.related_type == record_type, model.related_id == record_id
        )

    def open_deal_of_account(self, actor: Actor, account_id: uuid.UUID) -> Any:
        repo = REPOSITORIES["deal"](self.session)
        deal = repo.model
        stmt = (
            repo.readable(actor)
            .where(deal.account_id == account_id, deal.stage_kind == "open")
            .order_by(deal.updated_at.desc(), deal.id)
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def stage_name(self, stage_id: uuid.UUID) -> str | None:
        stage = self.session.get(PipelineStage, stage_id)
        return stage.name if stage is not None else None

    def latest_call(
        self, actor: Actor, record_type: str, record_id: uuid.UUID, now: datetime
    ) -> Any:
        call = REPOSITORIES["call"](self.session).model
        stmt = self._linked(actor, "call", record_type, record_id).where(call.started_at <= now)
        return self.session.scalars(stmt.order_by(call.started_at.desc()).limit(1)).first()

    def latest_meeting(
        self, actor: Actor, record_type: str, record_id: uuid.UUID, now: datetime
    ) -> Any:
        meeting = REPOSITORIES["meeting"](self.session).model
        stmt = self._linked(actor, "meeting", record_type, record_id).where(
            meeting.starts_at <= now, meeting.status != "cancelled"
        )
        return self.session.scalars(stmt.order_by(meeting.starts_at.desc()).limit(1)).first()

    def oldest_open_task(self, actor: Actor, record_type: str, record_id: uuid.UUID) -> Any:
        task = REPOSITORIES["task"](self.session).model
        stmt = self._linked(actor, "task", record_type, record_id).where(
            task.status.in_(("open", "in_progress"))
        )
        order = (task.due_at.is_(None), task.due_at, task.created_at)
        return self.session.scalars(stmt.order_by(*order).limit(1)).first()

    def templates_of_intent(self, actor: Actor, intent: str) -> list[EmailTemplate]:
        repo = EmailTemplateRepository(self.session)
        stmt = repo.readable(actor).where(EmailTemplate.intent == intent)
        return list(self.session.scalars(stmt.order_by(EmailTemplate.name, EmailTemplate.id)))

    def template_counts(self, template_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """Template id -> (messages sent with it, how many of them were replied to)."""
        if not template_ids:
            return {}
        replied = func.sum(case((EmailMessage.replied_at.is_not(None), 1), else_=0))
        stmt = unscoped(
            select(EmailMessage.template_id, func.count(), replied)
            .where(EmailMessage.template_id.in_(template_ids), EmailMessage.state == "sent")
            .group_by(EmailMessage.template_id)
        )
        return {t: (int(n), int(r or 0)) for t, n, r in self.session.execute(stmt)}


class InboundRepository:
    """The SQL of receiving mail: threads, mailboxes, attachments, receipts, and the lookups
    that match a message to its records (the system's work: unscoped on purpose; what a
    person then reads goes through ``EmailRepository.readable``)."""

    def mark_replied(self, message_ids: list[str], when: datetime) -> None:
        """The outgoing messages among ``message_ids`` answered for the first time now."""
        if not message_ids:
            return
        stmt = (
            update(EmailMessage)
            .where(
                EmailMessage.message_id.in_(message_ids[:100]),
                EmailMessage.direction == "out",
                EmailMessage.replied_at.is_(None),
            )
            .values(replied_at=when)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(stmt)

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


__all__ = [
    "AssistantRepository",
    "EmailRepository",
    "EmailTemplateRepository",
    "InboundRepository",
]
