"""All of the booking pages' SQL. Availability reads every meeting of a host whoever may see
it (only times leave this module: a visitor learns that a slot is taken, never by what)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from nexa.booking.slots import Interval
from nexa.core.repository import unscoped
from nexa.core.text import text_key
from nexa.models import (
    Booking,
    BookingPage,
    Contact,
    Lead,
    LeadSource,
    Meeting,
    MeetingAttendee,
    User,
)


class BookingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- pages -------------------------------------------------------------------------------
    def page_with_slug(self, slug: str) -> BookingPage | None:
        return self.session.scalars(select(BookingPage).where(BookingPage.slug == slug)).first()

    def slug_taken(self, slug: str, exclude: uuid.UUID | None) -> bool:
        stmt = select(BookingPage.id).where(BookingPage.slug == slug)
        if exclude is not None:
            stmt = stmt.where(BookingPage.id != exclude)
        return self.session.scalars(stmt).first() is not None

    def page_of_user(self, user_id: uuid.UUID) -> BookingPage | None:
        return self.session.scalars(
            select(BookingPage).where(BookingPage.user_id == user_id)
        ).first()

    def page_of_team(self, team_id: uuid.UUID) -> BookingPage | None:
        return self.session.scalars(
            select(BookingPage).where(BookingPage.team_id == team_id)
        ).first()

    def pages_of(
        self, user_ids: Iterable[uuid.UUID], team_ids: Iterable[uuid.UUID] | None
    ) -> list[BookingPage]:
        """The pages of these users and teams (``team_ids`` None: every team's)."""
        users = list(user_ids)
        clauses: list[ColumnElement[bool]] = [BookingPage.user_id.in_(users) if users else false()]
        if team_ids is None:
            clauses.append(BookingPage.team_id.is_not(None))
        else:
            teams = list(team_ids)
            clauses.append(BookingPage.team_id.in_(teams) if teams else false())
        stmt = select(BookingPage).where(or_(*clauses)).order_by(BookingPage.slug)
        return list(self.session.scalars(stmt))

    def slugs_of_users(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The slug of each user's enabled booking page (the merge field ``booking_link``)."""
        ids = [i for i in set(user_ids) if i is not None]
        if not ids:
            return {}
        stmt = select(BookingPage.user_id, BookingPage.slug).where(
            BookingPage.user_id.in_(ids), BookingPage.enabled.is_(True)
        )
        return {user_id: slug for user_id, slug in self.session.execute(stmt) if user_id}

    def add(self, page: BookingPage) -> BookingPage:
        self.session.add(page)
        self.session.flush()
        return page

    # -- hosts -------------------------------------------------------------------------------
    def users(self, user_ids: Iterable[uuid.UUID]) -> list[User]:
        ids = list(user_ids)
        if not ids:
            return []
        stmt = select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
        return list(self.session.scalars(stmt))

    def team_members(self, team_id: uuid.UUID) -> list[User]:
        stmt = (
            select(User).where(User.team_id == team_id, User.is_active.is_(True)).order_by(User.id)
        )
        return list(self.session.scalars(stmt))

    def lock_hosts(self, user_ids: Iterable[uuid.UUID]) -> None:
        """Hold the hosts' rows until the transaction ends (PostgreSQL: FOR UPDATE, in id
        order so two bookings never wait on each other crosswise; SQLite: a write transaction
        already holds the database's one write lock from its BEGIN IMMEDIATE). Two visitors
        booking the same host are so taken one after the other, the second seeing the
        first's meeting when it checks the slot again."""
        ids = sorted(set(user_ids))
        if ids:
            self.session.execute(
                select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update()
            ).all()

    def busy(
        self, user_ids: Iterable[uuid.UUID], since: datetime, until: datetime
    ) -> dict[uuid.UUID, list[Interval]]:
        """Each host's meetings overlapping [since, until) that are not cancelled or deleted:
        those they organize and those they attend."""
        ids = list(user_ids)
        found: dict[uuid.UUID, list[Interval]] = {i: [] for i in ids}
        if not ids:
            return found
        window = (
            Meeting.deleted_at.is_(None),
            Meeting.status != "cancelled",
            Meeting.starts_at < until,
            Meeting.ends_at > since,
        )
        owned = select(Meeting.owner_id, Meeting.starts_at, Meeting.ends_at).where(
            Meeting.owner_id.in_(ids), *window
        )
        attended = (
            select(MeetingAttendee.user_id, Meeting.starts_at, Meeting.ends_at)
            .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
            .where(MeetingAttendee.user_id.in_(ids), *window)
        )
        for stmt in (owned, attended):
            for user_id, start, end in self.session.execute(unscoped(stmt)):
                found[user_id].append((start, end))
        return found

    def last_booked(self, page_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
        """When each host of the page was last booked through it (round robin)."""
        stmt = (
            select(Booking.host_id, func.max(Booking.created_at))
            .where(Booking.page_id == page_id)
            .group_by(Booking.host_id)
        )
        return {host: at for host, at in self.session.execute(stmt)}

    def bookings_since(self, page_id: uuid.UUID, client_hash: str, since: datetime) -> int:
        stmt = select(func.count()).where(
            Booking.page_id == page_id,
            Booking.client_hash == client_hash,
            Booking.created_at >= since,
        )
        return int(self.session.scalar(stmt) or 0)

    # -- people ------------------------------------------------------------------------------
    def live_contact(self, email: str) -> Contact | None:
        """The live contact holding ``email`` (system view: the caller decides what to do with
        a contact the host may not see)."""
        stmt = select(Contact).where(
            Contact.email_key == text_key(email), Contact.deleted_at.is_(None)
        )
        return self.session.scalars(unscoped(stmt.limit(1))).first()

    def source_active(self, key: str) -> bool:
        source = self.session.get(LeadSource, key)
        return source is not None and source.active

    def live_lead(self, email: str) -> Lead | None:
        stmt = select(Lead).where(Lead.email_key == text_key(email), Lead.deleted_at.is_(None))
        return self.session.scalars(unscoped(stmt.limit(1))).first()
