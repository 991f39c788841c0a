"""A small RFC 5545 writer: one VCALENDAR with one VEVENT, for meeting invitations.

Text values are escaped (``\\`` ``;`` ``,`` and newlines), parameter values quoted, and
content lines folded at 75 octets (never inside a UTF-8 sequence) with CRLF line ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

PRODID = "-//Nexa CRM//Nexa Meetings//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    stamp: datetime
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str | None = None
    location: str | None = None
    url: str | None = None
    organizer: Person | None = None
    attendees: list[Person] = field(default_factory=list)
    status: str = "CONFIRMED"  # TENTATIVE / CONFIRMED / CANCELLED


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def param_value(value: str) -> str:
    """A quoted parameter value (§3.2): DQUOTE and control characters cannot appear."""
    cleaned = "".join(c for c in value if c != '"' and (c == "\t" or ord(c) >= 0x20))
    cleaned = cleaned.replace("\x7f", "")
    return f'"{cleaned}"'


def format_utc(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold one content line: at most 75 octets per physical line (CRLF excluded);
    continuation lines start with one space."""
    out: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, LINE_OCTETS
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _mailto(email: str) -> str:
    return "mailto:" + "".join(c for c in email if not c.isspace() and c not in '";,')


def _uri(value: str) -> str:
    return "".join(c for c in value if ord(c) >= 0x20 and c != "\x7f")


def calendar(event: CalendarEvent, *, method: str = "REQUEST") -> str:
    """The iCalendar text (CRLF line ends, folded) for ``event``."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{format_utc(event.stamp)}",
        f"DTSTART:{format_utc(event.starts_at)}",
        f"DTEND:{format_utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{_uri(event.url)}")
    if event.organizer is not None:
        cn = f";CN={param_value(event.organizer.name)}" if event.organizer.name else ""
        lines.append(f"ORGANIZER{cn}:{_mailto(event.organizer.email)}")
    for person in event.attendees:
        cn = f";CN={param_value(person.name)}" if person.name else ""
        lines.append(
            f"ATTENDEE{cn};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:"
            f"{_mailto(person.email)}"
        )
    lines += [f"STATUS:{event.status}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
