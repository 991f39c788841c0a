"""Booking pages: their settings (a user's own; a team's, by admins and the team's
managers), the slots they offer, and a visitor's booking.

A booking is one transaction: the hosts' rows are locked, the slot is checked again against
the meetings committed meanwhile (a slot taken since the page was shown is a 409), the
visitor is matched to a contact, then a lead, the host can see — else to any live contact or
lead with that address (its owner sees the meeting on its timeline) — or becomes a new lead
(source "booking page", owned by the host); the meeting is created on that record (owner =
the host, the visitor invited), the invitation mailed with its .ics when email is set up,
and ``meeting.booked`` published. The meeting domain writes the timeline entry.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from nexa.auth.service import actor_for
from nexa.booking import slots
from nexa.booking.events import BOOKED, MeetingBooked
from nexa.booking.repository import BookingRepository
from nexa.booking.schemas import BookingPageIn, page_url
from nexa.contact.repository import ContactRepository
from nexa.core.actor import SYSTEM, Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from nexa.core.events import publish
from nexa.core.fields import normalise_email
from nexa.core.records import apply_changes, check_version
from nexa.email import service as email_service
from nexa.email.repository import EmailRepository
from nexa.email.schemas import EmailSend
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import LeadCreate
from nexa.lead.service import LeadService
from nexa.meeting.schemas import MeetingCreate
from nexa.meeting.service import MeetingService, attendees_for
from nexa.models import Booking, BookingPage, Meeting, Team, User

LEAD_SOURCE = "booking_page"
RATE_PER_HOUR = 10
MAX_NAME = 200
MAX_NOTE = 2000


# ---- settings ------------------------------------------------------------------------------


def public_url(page: BookingPage) -> str:
    return page_url(page.slug)


def _require_user(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise PermissionDenied("a booking page belongs to a user: sign in as one")
    return actor.user_id


def may_edit_team(session: Session, actor: Actor, team_id: uuid.UUID) -> bool:
    """Admins edit every team's page; a manager the pages of their team and its sub-teams."""
    if actor.can("team:write") or actor.scope_for("team:read") is Scope.ALL:
        return True
    return actor.scope_for("team:read") is Scope.TEAM and team_id in actor.team_ids


def _team(session: Session, actor: Actor, team_id: uuid.UUID) -> Team:
    team = session.get(Team, team_id)
    if team is None or not may_edit_team(session, actor, team_id):
        raise NotFound("no such team, or you may not manage its booking page")
    return team


def own_page(session: Session, actor: Actor) -> BookingPage | None:
    return BookingRepository(session).page_of_user(_require_user(actor))


def team_page(session: Session, actor: Actor, team_id: uuid.UUID) -> BookingPage | None:
    _team(session, actor, team_id)
    return BookingRepository(session).page_of_team(team_id)


def list_pages(session: Session, actor: Actor) -> list[BookingPage]:
    """The pages the actor may edit: their own, and the teams' they manage."""
    user_id = _require_user(actor)
    if actor.scope_for("team:read") is Scope.ALL:
        teams: Any = None
    elif actor.scope_for("team:read") is Scope.TEAM:
        teams = actor.team_ids
    else:
        teams = []
    return BookingRepository(session).pages_of([user_id], teams)


def _save(
    session: Session,
    page: BookingPage | None,
    data: BookingPageIn,
    if_match: int | None,
    **owner: uuid.UUID,
) -> BookingPage:
    repo = BookingRepository(session)
    if repo.slug_taken(data.slug, page.id if page is not None else None):
        raise Conflict(f"the address /book/{data.slug} is taken; choose another", field="slug")
    values = data.model_dump()
    if page is None:
        return repo.add(BookingPage(id=uuid.uuid4(), **owner, **values))
    check_version(page, if_match)
    if apply_changes(page, values):
        session.flush()
    return page


def put_own_page(
    session: Session, actor: Actor, data: BookingPageIn, *, if_match: int | None = None
) -> BookingPage:
    user_id = _require_user(actor)
    if not actor.can("meeting:create"):
        raise PermissionDenied("a booking page makes meetings: your role may not create them")
    page = BookingRepository(session).page_of_user(user_id)
    return _save(session, page, data, if_match, user_id=user_id)


def put_team_page(
    session: Session,
    actor: Actor,
    team_id: uuid.UUID,
    data: BookingPageIn,
    *,
    if_match: int | None = None,
) -> BookingPage:
    _team(session, actor, team_id)
    page = BookingRepository(session).page_of_team(team_id)
    return _save(session, page, data, if_match, team_id=team_id)


# ---- slots ---------------------------------------------------------------------------------


def rules_of(page: BookingPage) -> slots.Rules:
    return slots.Rules(
        duration=timedelta(minutes=page.duration_minutes),
        buffer_before=timedelta(minutes=page.buffer_before_minutes),
        buffer_after=timedelta(minutes=page.buffer_after_minutes),
        notice=timedelta(hours=page.notice_hours),
        days_ahead=page.days_ahead,
        hours=slots.parse_hours(page.working_hours),
    )


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def public_page(session: Session, slug: str) -> BookingPage:
    page = BookingRepository(session).page_with_slug(slug[:80].lower())
    if page is None or not page.enabled or not hosts_of(session, page):
        raise NotFound("no such booking page")
    return page


def hosts_of(session: Session, page: BookingPage) -> list[User]:
    """Who may be booked: the page's user, or the team's active members (round robin)."""
    repo = BookingRepository(session)
    if page.user_id is not None:
        return repo.users([page.user_id])
    return repo.team_members(page.team_id) if page.team_id is not None else []


def offered(
    session: Session, page: BookingPage, now: datetime | None = None
) -> dict[datetime, list[User]]:
    """Each slot offered (UTC start) with the hosts free then."""
    now = now or utcnow()
    hosts = hosts_of(session, page)
    rules = rules_of(page)
    until = now + timedelta(days=rules.days_ahead + 2)
    busy = BookingRepository(session).busy([h.id for h in hosts], now - timedelta(days=1), until)
    found: dict[datetime, list[User]] = {}
    for host in hosts:
        for start in slots.free_slots(rules, zone_of(host.timezone), busy[host.id], now):
            found.setdefault(start, []).append(host)
    return dict(sorted(found.items()))


# ---- booking -------------------------------------------------------------------------------


@dataclass
class BookingResult:
    meeting: Meeting
    host: User
    related_type: str
    related_id: uuid.UUID
    new_lead: bool
    invitation_sent: bool
    invitation_note: str


def client_hash(client_ip: str, page_id: uuid.UUID) -> str:
    return hashlib.sha256(f"{client_ip}|{page_id}".encode()).hexdigest()


def _clean(name: Any, email: Any, note: Any) -> tuple[str, str, str | None]:
    errors: list[dict[str, str]] = []
    name_text = str(name or "").strip()
    if not name_text:
        errors.append({"field": "name", "message": "your name is needed"})
    elif len(name_text) > MAX_NAME or any(ord(c) < 32 for c in name_text):
        errors.append({"field": "name", "message": f"one line of at most {MAX_NAME} characters"})
    address = ""
    try:
        address = normalise_email(str(email or "").strip())
    except ValueError as exc:
        errors.append({"field": "email", "message": str(exc)})
    note_text = str(note or "").strip() or None
    if note_text is not None and len(note_text) > MAX_NOTE:
        errors.append({"field": "note", "message": f"at most {MAX_NOTE} characters"})
    if errors:
        raise ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    return name_text, address, note_text


def parse_start(value: Any) -> datetime:
    """The chosen slot: an ISO 8601 instant (a naive one is UTC)."""
    try:
        start = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationFailed("choose one of the times offered", field="starts_at") from None
    return (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)


def _pick(hosts: list[User], last: dict[uuid.UUID, datetime]) -> User:
    """Round robin: the free host booked least recently through this page (never first)."""
    never = datetime.min.replace(tzinfo=UTC)
    return min(hosts, key=lambda h: (last.get(h.id, never), str(h.id)))


def book(
    session: Session,
    slug: str,
    *,
    starts_at: Any,
    name: Any,
    email: Any,
    note: Any = None,
    client_ip: str,
    now: datetime | None = None,
) -> BookingResult:
    """Book ``starts_at`` on the page ``slug`` for a visitor (see the module docstring)."""
    now = now or utcnow()
    repo = BookingRepository(session)
    page = public_page(session, slug)
    digest = client_hash(client_ip, page.id)
    if repo.bookings_since(page.id, digest, now - timedelta(hours=1)) >= RATE_PER_HOUR:
        raise TooManyRequests("too many bookings from your address; try again later")
    name_text, address, note_text = _clean(name, email, note)
    start = parse_start(starts_at)
    if start < now:
        raise ValidationFailed("that time has passed; choose a later one", field="starts_at")
    hosts = hosts_of(session, page)
    rules = rules_of(page)
    working = [h for h in hosts if start in slots.free_slots(rules, zone_of(h.timezone), [], now)]
    if not working:
        raise ValidationFailed(
            "that time is not one of the times offered (outside the working hours, too soon "
            "or too far ahead)",
            field="starts_at",
        )
    # under the write: the hosts' rows locked, the meetings read again
    repo.lock_hosts(h.id for h in working)
    end = start + rules.duration
    busy = repo.busy([h.id for h in working], start - rules.buffer_before, end + rules.buffer_after)
    free = [
        h for h in working if start in slots.free_slots(rules, zone_of(h.timezone), busy[h.id], now)
    ]
    if not free:
        raise Conflict(
            "sorry, that time was booked a moment ago; please choose another", field="starts_at"
        )
    host = _pick(free, repo.last_booked(page.id))
    host_actor = actor_for(session, host)
    related_type, related_id, new_lead = _person(session, host, host_actor, name_text, address)
    meeting = _meeting(
        session, page, host, related_type, related_id, name_text, address, note_text, start, end
    )
    session.add(
        Booking(
            id=uuid.uuid4(),
            page_id=page.id,
            host_id=host.id,
            meeting_id=meeting.id,
            related_type=related_type,
            related_id=related_id,
            client_hash=digest,
            created_at=now,
        )
    )
    session.flush()
    publish(
        session,
        SYSTEM,  # the timeline reads "Nexa booked meeting …": a visitor did, on the page
        BOOKED.name,
        record_type="meeting",
        record_id=meeting.id,
        payload=MeetingBooked(
            name=meeting.title,
            meeting_id=str(meeting.id),
            host_id=str(host.id),
            related_type=related_type,
            related_id=str(related_id),
            booking_page_id=str(page.id),
            starts_at=start.isoformat(),
        ),
    )
    sent, why = _invite(session, host, host_actor, meeting, related_type, related_id, name_text)
    return BookingResult(meeting, host, related_type, related_id, new_lead, sent, why)


def _person(
    session: Session, host: User, host_actor: Actor, name: str, address: str
) -> tuple[str, uuid.UUID, bool]:
    """The record the meeting goes on: a contact, then a lead, the host can see; else any live
    contact or lead with the address; else a new lead owned by the host."""
    repo = BookingRepository(session)
    contact = repo.live_contact(address)
    lead = repo.live_lead(address)
    if contact is not None and ContactRepository(session).can_read(host_actor, contact.id):
        return "contact", contact.id, False
    if lead is not None and LeadRepository(session).can_read(host_actor, lead.id):
        return "lead", lead.id, False
    if contact is not None:
        return "contact", contact.id, False
    if lead is not None:
        return "lead", lead.id, False
    first, _, last = name.rpartition(" ")
    data = _visitor_input(
        LeadCreate,
        {
            "first_name": first[:100] or None,
            "last_name": (last or name)[:100],
            "email": address,
            # an admin may switch the source off: the lead is still made, without it
            "source": LEAD_SOURCE if repo.source_active(LEAD_SOURCE) else None,
            "description": "Booked a meeting on a booking page",
            "allow_duplicates": True,
        },
    )
    created = LeadService(session, SYSTEM).create(data, owner_id=host.id)
    return "lead", created.id, True


def _meeting(
    session: Session,
    page: BookingPage,
    host: User,
    related_type: str,
    related_id: uuid.UUID,
    name: str,
    address: str,
    note: str | None,
    start: datetime,
    end: datetime,
) -> Meeting:
    attendee: dict[str, Any] = {"email": address, "name": name}
    if related_type == "contact":
        attendee = {"contact_id": related_id}
    data = _visitor_input(
        MeetingCreate,
        {
            "title": f"{page.title} with {name}"[:300],
            "starts_at": start,
            "ends_at": end,
            "timezone": host.timezone or "UTC",
            "description": note,
            "related_type": related_type,
            "related_id": related_id,
            "attendees": [attendee],
        },
    )
    # made by the system for the visitor; the host organizes it
    return MeetingService(session, SYSTEM).create(data, owner_id=host.id)


def _invite(
    session: Session,
    host: User,
    host_actor: Actor,
    meeting: Meeting,
    related_type: str,
    related_id: uuid.UUID,
    name: str,
) -> tuple[bool, str]:
    """Mail the invitation with its .ics; (sent, why not)."""
    if not EmailRepository(session).smtp_settings():
        return False, "email is not set up here, so no invitation was sent"
    sender = host_actor
    readable = REPOSITORY_OF[related_type](session).can_read(host_actor, related_id)
    if not (host_actor.can("email:create") and readable):
        sender = SYSTEM
    ics = MeetingService(session, SYSTEM).invitation(meeting.id)
    zone = zone_of(host.timezone)
    when = meeting.starts_at.astimezone(zone)
    minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    subject = f"Invitation: {meeting.title}"
    # the visitor's own words go into a template: no braces from them
    text = (
        (
            f"Hello {name},\n\nyour meeting with {host.full_name} is booked for "
            f"{when:%A %-d %B %Y, %H:%M} ({zone.key}), {minutes} minutes.\n\n"
            "The invitation is attached: open it to add the meeting to your calendar."
        )
        .replace("{", "(")
        .replace("}", ")")
    )
    body = EmailSend.model_validate(
        {
            "record_type": related_type,
            "record_id": related_id,
            "to": [{"name": name, "address": _address_of(meeting, session)}],
            "subject": subject.replace("{", "(").replace("}", ")"),
            "text": text,
            "kind": "transactional",
            "track": False,
        }
    )
    try:
        email_service.send(
            session,
            sender,
            body,
            files=[("invitation.ics", "text/calendar; method=REQUEST", ics.encode("utf-8"))],
        )
    except ValidationFailed as exc:
        return False, f"no invitation was sent: {exc.detail}"
    return True, ""


def _address_of(meeting: Meeting, session: Session) -> str:
    return next(a.email for a in attendees_for(session, meeting) if a.email)


# the visitor's form fields the record fields come from (a refusal names what they typed)
VISITOR_FIELD = {"first_name": "name", "last_name": "name", "title": "name", "description": "note"}


def _visitor_input(model: Any, data: dict[str, Any]) -> Any:
    """``model`` validated from what the visitor typed: a refusal is a 422 naming the page's
    field (a name mixing alphabets, a control character in the note), never a 500."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        errors = [
            {
                "field": VISITOR_FIELD.get(str(e["loc"][0]) if e["loc"] else "", "email"),
                "message": str(e.get("msg", "not accepted")).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        raise ValidationFailed(
            f"{errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from None


REPOSITORY_OF: dict[str, Any] = {"contact": ContactRepository, "lead": LeadRepository}
