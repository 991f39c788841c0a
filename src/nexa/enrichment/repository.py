"""All of the enrichment and next-best-action SQL: a few small queries per record.

Reads of records a person looks at go through the owning domain's ``readable(actor)``.
Three reads are deliberately unscoped and return no rows to anyone: matching a lead's
domain to an account (a system step of lead creation; the page shows the account only to
those who can read it), the organization's median deal amount (one number) and whether an
account already has an open deal (yes/no, so nobody is told to open a duplicate deal).
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, literal, select, union_all, update

from nexa.account.repository import AccountRepository
from nexa.core.actor import Actor
from nexa.core.repository import unscoped
from nexa.intelligence.enrichment import domain_of_website, email_domain
from nexa.meeting.repository import MeetingRepository
from nexa.models import (
    Account,
    Activity,
    Contact,
    Deal,
    Lead,
    Meeting,
    MeetingAttendee,
    Quote,
    Task,
)
from nexa.quote.repository import QuoteRepository
from nexa.task.repository import TaskRepository

# Timeline events that are an interaction with the person (not a field edit).
INTERACTION_EVENTS = (
    "call.created",
    "meeting.created",
    "note.created",
    "task.completed",
    "quote.sent",
    "lead.form_submitted",
)
INTERACTION_PREFIXES = ("email.", "inbox.", "campaign.")
# ... and those that are the person answering us.
REPLY_EVENTS = ("lead.form_submitted", "email.replied", "email.received", "inbox.received")
TASK_ORIGIN_PREFIX = "next_action:"
OPEN_TASK_STATUSES = ("open", "in_progress")
MATCH_CANDIDATES = 20


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# pure functions of one text, asked again for every batch of an import: remembered
_website_domain = functools.lru_cache(maxsize=200_000)(domain_of_website)
_email_domain = functools.lru_cache(maxsize=200_000)(email_domain)


class EnrichmentRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    # -- account matching (system: unscoped on purpose) ------------------------------------
    def account_for_domain(self, domain: str) -> Account | None:
        """The oldest live account whose website is on ``domain``, else the oldest live
        account with a contact whose email is on ``domain``."""
        pattern = f"%{_like_escape(domain)}%"
        by_site = unscoped(
            select(Account)
            .where(
                Account.deleted_at.is_(None),
                func.lower(Account.website).like(pattern, escape="\\"),
            )
            .order_by(Account.created_at, Account.id)
            .limit(MATCH_CANDIDATES)
        )
        for account in self.session.scalars(by_site):
            if domain_of_website(account.website) == domain:
                return account
        by_contact = unscoped(
            select(Account, Contact.email)
            .join(Contact, Contact.account_id == Account.id)
            .where(
                Account.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
                func.lower(Contact.email).like(f"%{_like_escape(domain)}", escape="\\"),
            )
            .order_by(Account.created_at, Account.id)
            .limit(MATCH_CANDIDATES)
        )
        for account, email in self.session.execute(by_contact):
            if email_domain(email) == domain:
                return account
        return None

    def domains_in_use(self) -> frozenset[str] | None:
        """Every domain some live account's website or some live contact's email (of a live
        account) is on: the only ones ``account_for_domain`` can match. One statement over
        both columns; None when a value the parsers refuse is among them (the row-by-row
        lookup judges each domain then)."""
        sites = unscoped(
            select(Account.website, literal(True)).where(
                Account.deleted_at.is_(None), Account.website.is_not(None)
            )
        )
        emails = unscoped(
            select(Contact.email, literal(False))
            .join(Account, Account.id == Contact.account_id)
            .where(
                Account.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
                Contact.email.is_not(None),
            )
        )
        found: set[str] = set()
        for value, is_site in self.session.execute(union_all(sites, emails)):
            try:
                domain = _website_domain(value) if is_site else _email_domain(value)
            except Exception:
                return None
            if domain:
                found.add(domain)
        return frozenset(found)

    def write_lead(self, lead_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Store enrichment on a lead without bumping its version (a Core UPDATE)."""
        table = Lead.__table__
        assert isinstance(table, Table)
        self.session.execute(update(table).where(table.c.id == lead_id).values(values))

    # -- facts about one record ------------------------------------------------------------
    def interactions(self, record_type: str, record_id: uuid.UUID) -> dict[str, datetime]:
        """The latest time of each kind of timeline event on the record (one grouped query;
        the timeline is part of a record its reader can see)."""
        stmt = (
            select(Activity.event, func.max(Activity.occurred_at))
            .where(Activity.record_type == record_type, Activity.record_id == record_id)
            .group_by(Activity.event)
        )
        return {event: at for event, at in self.session.execute(stmt) if at is not None}

    def meetings(self, actor: Actor, record_type: str, record_id: uuid.UUID) -> list[Meeting]:
        stmt = (
            MeetingRepository(self.session)
            .readable(actor)
            .where(
                Meeting.related_type == record_type,
                Meeting.related_id == record_id,
                Meeting.status != "cancelled",
            )
        )
        return list(self.session.scalars(stmt))

    def attendee_contacts(self, meeting_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        if not meeting_ids:
            return set()
        stmt = select(MeetingAttendee.contact_id).where(
            MeetingAttendee.meeting_id.in_(meeting_ids), MeetingAttendee.contact_id.is_not(None)
        )
        return {cid for cid in self.session.scalars(stmt) if cid is not None}

    def open_action_tasks(
        self, actor: Actor, record_type: str, record_id: uuid.UUID
    ) -> dict[str, uuid.UUID]:
        """Action key -> the open task made from it on this record (readable by the actor)."""
        stmt = (
            TaskRepository(self.session)
            .readable(actor)
            .where(
                Task.related_type == record_type,
                Task.related_id == record_id,
                Task.status.in_(OPEN_TASK_STATUSES),
                Task.origin.like(f"{TASK_ORIGIN_PREFIX}%"),
            )
            .order_by(Task.created_at)
        )
        found: dict[str, uuid.UUID] = {}
        for task in self.session.scalars(stmt):
            key = (task.origin or "").removeprefix(TASK_ORIGIN_PREFIX)
            found.setdefault(key, task.id)
        return found

    def quote_count(self, actor: Actor, deal_id: uuid.UUID) -> int:
        stmt = QuoteRepository(self.session).readable(actor).where(Quote.deal_id == deal_id)
        count = stmt.with_only_columns(func.count(Quote.id))
        return int(self.session.scalar(count) or 0)

    def median_deal_amount(self) -> Decimal | None:
        """The median amount (organization currency) of live deals: an aggregate only."""
        base = (Deal.deleted_at.is_(None), Deal.amount_org.is_not(None), Deal.amount_org > 0)
        total = self.session.scalar(unscoped(select(func.count(Deal.id)).where(*base)))
        if not total:
            return None
        middle = unscoped(
            select(Deal.amount_org)
            .where(*base)
            .order_by(Deal.amount_org)
            .offset((int(total) - 1) // 2)
            .limit(1)
        )
        value = self.session.scalar(middle)
        return Decimal(value) if value is not None else None

    def account_has_open_deal(self, account_id: uuid.UUID) -> bool:
        stmt = unscoped(
            select(Deal.id)
            .where(
                Deal.account_id == account_id,
                Deal.stage_kind == "open",
                Deal.deleted_at.is_(None),
            )
            .limit(1)
        )
        return self.session.scalar(stmt) is not None

    def account_brief(self, actor: Actor, account_id: uuid.UUID) -> tuple[str, str] | None:
        """(name, type) of the contact's account, when the actor can read it."""
        stmt = (
            AccountRepository(self.session)
            .readable(actor)
            .where(Account.id == account_id)
            .with_only_columns(Account.name, Account.type)
        )
        row = self.session.execute(stmt).first()
        return (row[0], row[1]) if row else None
