from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, time
from typing import Literal

from pydantic import Field, field_validator

from nexa.booking.slots import WEEKDAYS
from nexa.config import get_settings
from nexa.core.schemas import InputModel, OutputModel

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


def page_url(slug: str) -> str:
    """The public address of the booking page ``slug`` (settings.public_url)."""
    return f"{get_settings().public_url.rstrip('/')}/book/{slug}"


def _clock(value: str) -> time:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"{value!r} is not a time of day written HH:MM (e.g. 09:00)")
    return time.fromisoformat(value)


def check_hours(value: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """Each weekday's spans: ``HH:MM`` pairs, start before end, not overlapping."""
    out: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        spans = value.get(day) or []
        parsed = []
        for span in spans:
            if len(span) != 2:
                raise ValueError(f"{day}: give each span as [start, end]")
            start, end = _clock(span[0]), _clock(span[1])
            if end <= start:
                raise ValueError(f"{day}: {span[0]}–{span[1]} ends before it starts")
            parsed.append((start, end))
        parsed.sort()
        for (_, end), (start, _) in itertools.pairwise(parsed):
            if start < end:
                raise ValueError(f"{day}: the spans overlap")
        if parsed:
            out[day] = [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in parsed]
    return out


class BookingPageIn(InputModel):
    """A booking page's settings (PUT: the whole page)."""

    slug: str = Field(
        min_length=1, max_length=80, description="In the address /book/{slug}: a-z, 0-9 and -"
    )
    title: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(30, ge=15, le=240, description="Meeting length")
    buffer_before_minutes: int = Field(0, ge=0, le=240)
    buffer_after_minutes: int = Field(0, ge=0, le=240)
    notice_hours: int = Field(4, ge=0, le=720, description="Minimum notice before a slot")
    days_ahead: int = Field(14, ge=1, le=90, description="How many days ahead may be booked")
    working_hours: dict[Weekday, list[list[str]]] = Field(
        default_factory=lambda: {k: [list(v) for v in s] for k, s in DEFAULT_HOURS.items()},
        description="Per weekday, [start, end] spans in the host's time zone: "
        '{"mon": [["09:00", "17:00"]]}',
    )
    enabled: bool = True

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        v = v.lower()
        if not SLUG.fullmatch(v):
            raise ValueError("use lower-case letters, digits and hyphens (e.g. anna-smith)")
        return v

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
        return check_hours(v)


class BookingPageOut(OutputModel):
    id: uuid.UUID
    slug: str
    title: str
    url: str
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    notice_hours: int
    days_ahead: int
    working_hours: dict[str, list[list[str]]]
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class BookingRequest(InputModel):
    """What a visitor sends from the public page."""

    starts_at: datetime
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    note: str | None = Field(None, max_length=2000)
    timezone: str | None = Field(None, max_length=60)
