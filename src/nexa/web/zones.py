"""The signed-in user's time zone while their page renders: ``display`` shows times in it and
date-time inputs are read and filled in it (``nexa.web.forms``)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DISPLAY_ZONE: ContextVar[tzinfo] = ContextVar("display_zone", default=UTC)
# and how it writes dates (the user's ``date_format``)
DISPLAY_DATES: ContextVar[str] = ContextVar("display_dates", default="iso")
DATE_PATTERNS = {"iso": "%Y-%m-%d", "us": "%m/%d/%Y", "eu": "%d/%m/%Y", "long": "%-d %b %Y"}
DATE_FORMAT_CHOICES = (
    ("iso", "2026-12-31"),
    ("us", "12/31/2026"),
    ("eu", "31/12/2026"),
    ("long", "31 Dec 2026"),
)


def date_text(day: date) -> str:
    """A date as the user writes it."""
    return day.strftime(DATE_PATTERNS.get(DISPLAY_DATES.get(), DATE_PATTERNS["iso"]))


def moment_text(moment: datetime) -> str:
    """A time as the user reads it: their zone, their date format, hours and minutes."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(DISPLAY_ZONE.get())
    return f"{date_text(local.date())} {local:%H:%M}"


def zone_named(name: str | None) -> tzinfo:
    """The zone of this IANA name; UTC for none or one this machine does not know."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def read_local(value: str, zone: tzinfo) -> datetime | str:
    """A date or datetime-local input ("2030-05-01T09:30"), read in ``zone``; what does not
    parse is returned as typed (the schema then names the field and says why)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
