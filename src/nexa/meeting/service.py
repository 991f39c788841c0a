"""Meetings: on any record, with attendees (contacts, users or bare email addresses) and an
iCalendar invitation whose SEQUENCE grows whenever time, place, attendees or status change.

Attendees keep the email and name they had when invited, so the invitation of a meeting
never needs to read contacts its reader may not see.
"""

from __future__ import annotations

import builtins
import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.contact.repository import ContactRepository
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.names import person_name
from nexa.meeting import ics
from nexa.meeting.events import MEETING_EVENTS
from nexa.meeting.repository import MeetingRepository
from nexa.meeting.schemas import AttendeeIn
from nexa.models import Meeting, MeetingAttendee, User
from nexa.record.registry import require_readable_link
from nexa.record.service import RecordService, check_reference

MAX_DURATION = timedelta(hours=24)
# changes attendees must hear about (RFC 5545 SEQUENCE)
INVITE_FIELDS = ("starts_at", "ends_at", "location", "status")
ICS_STATUS = {"cancelled": "CANCELLED"}
PAGE_CACHE = "meeting_attendees"

AttendeeKey = tuple[str, str]


def _key(row: Any) -> AttendeeKey:
    if row.contact_id is not None:
        return ("contact", str(row.contact_id))
    if row.user_id is not None:
        return ("user", str(row.user_id))
    return ("email", str(row.email))


class MeetingService(RecordService[Meeting]):
    events = MEETING_EVENTS
    model = Meeting
    repository = MeetingRepository
    label = "meeting"
    default_sort = "-starts_at"
    not_empty = ("title", "starts_at", "ends_at", "status", "timezone")
    computed = ("attendees",)
    repo: MeetingRepository

    def __init__(self, session: Session, actor: Any) -> None:
        super().__init__(session, actor)
        self._given: builtins.list[AttendeeIn] | None = None  # the attendees of this create/update
        self._resolved: builtins.list[dict[str, Any]] | None = None

    # -- life cycle ----------------------------------------------------------------------
    def create(self, data: BaseModel, **extra: Any) -> Meeting:
        self._given = list(getattr(data, "attendees", None) or [])
        return super().create(data, **extra)

    def update(
        self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None
    ) -> Meeting:
        if "attendees" in data.model_fields_set:  # null or [] removes every attendee
            self._given = list(getattr(data, "attendees", None) or [])
        return super().update(record_id, data, if_match=if_match)

    def payload(self, record: Meeting) -> dict[str, Any]:
        if self._resolved is not None:
            contacts = [a["contact_id"] for a in self._resolved if a["contact_id"]]
        else:
            rows = self.repo.attendees_of([record.id])[record.id]
            contacts = [a.contact_id for a in rows if a.contact_id]
        return {
            "name": record.title,
            "status": record.status,
            "starts_at": record.starts_at.isoformat() if record.starts_at else None,
            "related_type": record.related_type,
            "related_id": str(record.related_id) if record.related_id else None,
            "also_on": [["contact", str(c)] for c in dict.fromkeys(contacts)],
        }

    def prepare(self, values: dict[str, Any], record: Meeting | None) -> dict[str, Any]:
        def current(name: str) -> Any:
            if name in values:
                return values[name]
            return getattr(record, name) if record is not None else None

        if record is None or {"related_type", "related_id"} & values.keys():
            require_readable_link(
                self.session, self.actor, current("related_type"), current("related_id")
            )
        if values.get("timezone", "") is None:
            values.pop("timezone")
        starts_at, ends_at = current("starts_at"), current("ends_at")
        if ends_at <= starts_at:
            raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
        if ends_at - starts_at > MAX_DURATION:
            raise ValidationFailed("a meeting lasts at most 24 hours", field="ends_at")
        if self._given is not None:
            self._resolved = self._resolve(self._given)
        if record is None:
            values["ics_uid"] = f"{uuid.uuid4()}@nexa"
            values["ics_sequence"] = 0
            values.setdefault("timezone", "UTC")
        else:
            moved = any(k in values and values[k] != getattr(record, k) for k in INVITE_FIELDS)
            if self._resolved is not None:
                old = {_key(a) for a in self.repo.attendees_of([record.id])[record.id]}
                new = {_key(_Row(a)) for a in self._resolved}
                moved = moved or old != new
            if moved:
                values["ics_sequence"] = record.ics_sequence + 1
        return values

    def after_create(self, record: Meeting) -> None:
        self._write_attendees(record, [])

    def after_update(self, record: Meeting, changes: dict[str, tuple[Any, Any]]) -> None:
        if self._resolved is not None:
            self._write_attendees(record, self.repo.attendees_of([record.id])[record.id])

    def list(self, query: ListQuery) -> tuple[builtins.list[Meeting], str | None]:
        rows, next_cursor = super().list(query)
        cache = self.session.info.setdefault(PAGE_CACHE, {})
        cache.update(self.repo.attendees_of(r.id for r in rows))
        return rows, next_cursor

    # -- attendees -------------------------------------------------------------------------
    def _resolve(self, given: builtins.list[AttendeeIn]) -> builtins.list[dict[str, Any]]:
        """Check every attendee (422 naming ``attendees.<i>.<field>``); drop repeats."""
        resolved: dict[AttendeeKey, dict[str, Any]] = {}
        for i, item in enumerate(given):
            row: dict[str, Any] = {
                "contact_id": None,
                "user_id": None,
                "email": item.email,
                "name": item.name,
            }
            if item.contact_id is not None:
                contact = check_reference(
                    self.session,
                    self.actor,
                    ContactRepository,
                    item.contact_id,
                    f"attendees.{i}.contact_id",
                )
                name = person_name(contact.first_name, contact.last_name)
                row.update(contact_id=contact.id, email=contact.email, name=name or None)
            elif item.user_id is not None:
                user = self.session.get(User, item.user_id)
                if user is None or not user.is_active:
                    raise ValidationFailed(
                        "no active user with this id", field=f"attendees.{i}.user_id"
                    )
                row.update(user_id=user.id, email=user.email, name=user.full_name)
            resolved.setdefault(_key(_Row(row)), row)
        return list(resolved.values())

    def _write_attendees(self, record: Meeting, existing: builtins.list[MeetingAttendee]) -> None:
        if self._resolved is None:
            return
        wanted = {_key(_Row(a)): a for a in self._resolved}
        kept = {_key(a) for a in existing if _key(a) in wanted}
        self.repo.remove_attendees(a for a in existing if _key(a) not in wanted)
        for key, a in wanted.items():
            if key not in kept:
                self.session.add(MeetingAttendee(id=uuid.uuid4(), meeting_id=record.id, **a))
        self.session.flush()

    # -- invitation ------------------------------------------------------------------------
    def invitation(self, record_id: uuid.UUID) -> str:
        """The meeting as an RFC 5545 invitation (METHOD:CANCEL once cancelled)."""
        record = self.get(record_id)
        organizer = self.session.get(User, record.owner_id) if record.owner_id else None
        event = ics.CalendarEvent(
            uid=record.ics_uid,
            sequence=record.ics_sequence,
            stamp=record.updated_at,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            summary=record.title,
            description=record.description,
            location=record.location,
            url=record.video_url,
            organizer=ics.Person(organizer.email, organizer.full_name) if organizer else None,
            attendees=[
                ics.Person(a.email, a.name) for a in attendees_for(self.session, record) if a.email
            ],
            status=ICS_STATUS.get(record.status, "CONFIRMED"),
        )
        return ics.calendar(event, method="CANCEL" if record.status == "cancelled" else "REQUEST")


def attendees_for(session: Session, record: Meeting) -> list[MeetingAttendee]:
    """The attendees of a meeting read already (from the page cache when it was listed)."""
    cache = session.info.get(PAGE_CACHE)
    if cache is not None and record.id in cache:
        return list(cache.pop(record.id))
    return MeetingRepository(session).attendees_of([record.id])[record.id]


class _Row:
    """Attribute access to a resolved attendee dict (for ``_key``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.contact_id = data["contact_id"]
        self.user_id = data["user_id"]
        self.email = data["email"]
