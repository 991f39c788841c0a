"""All of SMS's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, exc, insert, or_, select, update

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.repository import REPOSITORIES, Repository, unscoped
from nexa.models import Contact, EmailSubscription, Lead, OrgSetting, SmsMessage
from nexa.models.sms import SMS_CONSENT_TYPE

SETTINGS_KEY = "sms.settings"
CHUNK = 500


class SmsRepository(Repository[SmsMessage]):
    model = SmsMessage
    object_name = "sms"

    # ---- the actor's view -------------------------------------------------------------------

    def page(
        self,
        actor: Actor,
        *,
        state: str | None = None,
        direction: str | None = None,
        record_type: str | None = None,
        record_id: uuid.UUID | None = None,
        limit: int = 50,
    ) -> list[SmsMessage]:
        stmt = self.readable(actor)
        if state:
            stmt = stmt.where(SmsMessage.state == state)
        if direction:
            stmt = stmt.where(SmsMessage.direction == direction)
        if record_type:
            stmt = stmt.where(SmsMessage.related_type == record_type)
        if record_id:
            stmt = stmt.where(SmsMessage.related_id == record_id)
        stmt = stmt.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def readable_records(
        self, actor: Actor, record_type: str, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        """The records of ``record_type`` among ``ids`` that ``actor`` reads, by id (one
        statement per 500 ids)."""
        repo = REPOSITORIES[record_type](self.session)
        found: dict[uuid.UUID, Any] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            stmt = repo.readable(actor).where(repo.model.id.in_(chunk))
            found.update((row.id, row) for row in self.session.scalars(stmt))
        return found

    # ---- writing ------------------------------------------------------------------------------

    def add_deduped(self, message: SmsMessage) -> tuple[SmsMessage, bool]:
        """Insert ``message``; when its ``dedupe_key`` is taken (now, or by a concurrent
        transaction), the row holding it instead. Returns (row, inserted)."""
        if message.dedupe_key is not None:
            existing = self.by_dedupe_keys([message.dedupe_key]).get(message.dedupe_key)
            if existing is not None:
                return existing, False
        try:
            with self.session.begin_nested():
                self.session.add(message)
                self.session.flush()
        except exc.IntegrityError:
            if message.dedupe_key is None:
                raise
            existing = self.by_dedupe_keys([message.dedupe_key]).get(message.dedupe_key)
            if existing is None:
                raise
            return existing, False
        return message, True

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """New messages, one executemany (every row names every column)."""
        table = SmsMessage.__table__
        assert isinstance(table, Table)
        self.session.execute(insert(table), rows)

    def by_dedupe_keys(self, keys: list[str]) -> dict[str, SmsMessage]:
        found: dict[str, SmsMessage] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), CHUNK):
            stmt = select(SmsMessage).where(
                SmsMessage.dedupe_key.in_(unique[start : start + CHUNK])
            )
            found.update((m.dedupe_key or "", m) for m in self.session.scalars(unscoped(stmt)))
        return found

    # ---- consent ------------------------------------------------------------------------------

    def consent_rows(
        self, record_ids: list[uuid.UUID], numbers: list[str]
    ) -> list[EmailSubscription]:
        """The SMS consent rows of these records, and of any record at these numbers (an
        opt-out follows the number), one statement per 500 records."""
        rows: dict[uuid.UUID, EmailSubscription] = {}
        ids = list(dict.fromkeys(record_ids))
        nums = list(dict.fromkeys(numbers))
        for start in range(0, max(len(ids), len(nums)), CHUNK):
            stmt = select(EmailSubscription).where(
                EmailSubscription.type == SMS_CONSENT_TYPE,
                or_(
                    EmailSubscription.record_id.in_(ids[start : start + CHUNK]),
                    EmailSubscription.address.in_(nums[start : start + CHUNK]),
                ),
            )
            rows.update((s.id, s) for s in self.session.scalars(stmt))
        return list(rows.values())

    def latest_keywords(
        self, numbers: list[str], keywords: frozenset[str]
    ) -> dict[str, tuple[str, datetime]]:
        """Number → (keyword, when) of the latest inbound message among ``keywords`` each
        number sent, one statement per 500 numbers."""
        found: dict[str, tuple[str, datetime]] = {}
        unique = sorted(set(numbers))
        for start in range(0, len(unique), CHUNK):
            stmt = select(SmsMessage.from_number, SmsMessage.keyword, SmsMessage.created_at).where(
                SmsMessage.direction == "in",
                SmsMessage.from_number.in_(unique[start : start + CHUNK]),
                SmsMessage.keyword.in_(sorted(keywords)),
            )
            for number, keyword, at in self.session.execute(unscoped(stmt)):
                if number and keyword and (number not in found or found[number][1] < at):
                    found[number] = (keyword, at)
        return found

    def add_subscription(self, row: EmailSubscription) -> None:
        self.session.add(row)
        self.session.flush()

    def people_at(self, number: str) -> list[tuple[str, Any]]:
        """(record type, record) of each live contact (phone or mobile) and lead (phone) with
        this number, contacts first, most recently changed first (the inbound webhook acts for
        the sender: system, unscoped)."""
        found: list[tuple[str, Any]] = []
        contacts = select(Contact).where(
            or_(Contact.mobile == number, Contact.phone == number), Contact.deleted_at.is_(None)
        )
        found += [
            ("contact", c)
            for c in self.session.scalars(
                unscoped(contacts.order_by(Contact.updated_at.desc()).limit(20))
            )
        ]
        leads = select(Lead).where(Lead.phone == number, Lead.deleted_at.is_(None))
        found += [
            ("lead", lead)
            for lead in self.session.scalars(
                unscoped(leads.order_by(Lead.updated_at.desc()).limit(20))
            )
        ]
        return found

    # ---- settings -----------------------------------------------------------------------------

    def settings(self) -> dict[str, Any] | None:
        """The stored settings, read once per transaction."""
        cache = self.session.info.setdefault(SETTINGS_KEY, {})
        if "value" not in cache:
            row = self.session.get(OrgSetting, SETTINGS_KEY)
            value = row.value if row is not None and isinstance(row.value, dict) else None
            cache["value"] = dict(value) if value else None
        return dict(cache["value"]) if cache["value"] else None

    def set_settings(self, value: dict[str, Any]) -> None:
        self.session.info[SETTINGS_KEY] = {"value": dict(value)}
        row = self.session.get(OrgSetting, SETTINGS_KEY)
        if row is None:
            self.session.add(OrgSetting(key=SETTINGS_KEY, value=value))
        else:
            row.value = value
        self.session.flush()

    # ---- the worker (system: unscoped on purpose) --------------------------------------------

    def due_ids(self, now: datetime, limit: int) -> list[uuid.UUID]:
        stmt = (
            select(SmsMessage.id)
            .where(SmsMessage.state == "queued", SmsMessage.next_attempt_at <= now)
            .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
            .limit(limit)
        )
        return list(self.session.scalars(unscoped(stmt)))

    def claim(
        self, message_ids: list[uuid.UUID], now: datetime, lease_until: datetime
    ) -> list[SmsMessage]:
        """Take the due messages among ``message_ids`` for one attempt in one compare-and-set
        statement (of two workers one gets each message); the next attempt moves to
        ``lease_until`` in case this worker dies mid-send."""
        if not message_ids:
            return []
        stmt = (
            update(SmsMessage)
            .where(
                SmsMessage.id.in_(message_ids),
                SmsMessage.state == "queued",
                SmsMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until, attempts=SmsMessage.attempts + 1)
            .returning(SmsMessage.id)
            .execution_options(synchronize_session=False)
        )
        return self.messages(list(self.session.scalars(stmt)))

    def store_outcome(self, message_id: uuid.UUID, values: dict[str, Any]) -> SmsMessage | None:
        stmt = (
            update(SmsMessage)
            .where(SmsMessage.id == message_id)
            .values(**values, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        self.session.execute(stmt)
        rows = self.messages([message_id])
        return rows[0] if rows else None

    def messages(self, message_ids: list[uuid.UUID]) -> list[SmsMessage]:
        """The rows (fresh from the database), in the order of ``message_ids``."""
        if not message_ids:
            return []
        stmt = unscoped(select(SmsMessage).where(SmsMessage.id.in_(message_ids)))
        rows = {
            m.id: m for m in self.session.scalars(stmt.execution_options(populate_existing=True))
        }
        return [rows[i] for i in message_ids if i in rows]
