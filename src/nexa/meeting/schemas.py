from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from nexa.core.fields import normalise_email, normalise_url
from nexa.core.schemas import InputModel, OutputModel
from nexa.record.schemas import RecordType

MeetingStatus = Literal["scheduled", "completed", "cancelled", "no_show"]
MAX_ATTENDEES = 200


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


class AttendeeIn(InputModel):
    """One of: ``{contact_id}``, ``{user_id}`` or ``{email, name}``."""

    contact_id: uuid.UUID | None = Field(None, description="A contact you can read")
    user_id: uuid.UUID | None = Field(None, description="A user of this CRM")
    email: str | None = Field(None, max_length=254)
    name: str | None = Field(None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return normalise_email(v) if v else None

    @model_validator(mode="after")
    def _one_kind(self) -> AttendeeIn:
        given = [k for k in ("contact_id", "user_id", "email") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of contact_id, user_id or email")
        if self.name is not None and self.email is None:
            raise ValueError("name goes with email only")
        return self


class _MeetingFields(InputModel):
    description: str | None = Field(None, max_length=20_000)
    timezone: str | None = Field(None, max_length=60, description="IANA time zone name")
    location: str | None = Field(None, max_length=300)
    video_url: str | None = Field(None, max_length=500, description="http or https")
    outcome: str | None = Field(None, max_length=20_000, description="Outcome notes")
    attendees: list[AttendeeIn] | None = Field(None, max_length=MAX_ATTENDEES)
    related_type: RecordType | None = Field(None, description="The kind of record it is on")
    related_id: uuid.UUID | None = Field(None, description="The record it is on")
    owner_id: uuid.UUID | None = Field(None, description="The organizer (default: you)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name (e.g. Europe/Berlin)") from None
        return v

    @field_validator("video_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return normalise_url(v) if v else None


class MeetingCreate(_MeetingFields):
    title: str = Field(min_length=1, max_length=300)
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus = "scheduled"

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return as_utc(v)  # type: ignore[return-value]


class MeetingUpdate(_MeetingFields):
    title: str | None = Field(None, min_length=1, max_length=300)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: MeetingStatus | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return as_utc(v)


class AttendeeOut(OutputModel):
    id: uuid.UUID
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    email: str | None = None
    name: str | None = None
    response: str


class MeetingOut(OutputModel):
    id: uuid.UUID
    title: str
    description: str | None = None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str | None = None
    video_url: str | None = None
    status: str
    outcome: str | None = None
    attendees: list[AttendeeOut] = Field(default_factory=list)
    ics_uid: str
    ics_sequence: int
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
