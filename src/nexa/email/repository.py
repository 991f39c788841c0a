"""All of email's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from nexa.core.actor import Actor
from nexa.core.repository import Repository, unscoped
from nexa.core.text import text_key
from nexa.models import (
    Contact,
    EmailEvent,
    EmailMessage,
    EmailSubscription,
    EmailSuppression,
    EmailTemplate,
    Lead,
    OrgSetting,
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


__all__ = ["EmailRepository", "EmailTemplateRepository"]
