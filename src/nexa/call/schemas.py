from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, field_validator

from nexa.config import get_settings
from nexa.core.fields import normalise_phone
from nexa.core.schemas import InputModel, OutputModel
from nexa.record.schemas import RecordType

CallDirection = Literal["inbound", "outbound"]
CallOutcome = Literal[
    "connected", "no_answer", "voicemail", "busy", "wrong_number", "callback_requested"
]
MAX_DURATION_SECONDS = 86_400


class _CallFields(InputModel):
    phone_number: str | None = Field(None, max_length=40, description="Stored as E.164")
    contact_id: uuid.UUID | None = Field(None, description="A contact you can read")
    duration_seconds: int | None = Field(None, ge=0, le=MAX_DURATION_SECONDS)
    outcome: CallOutcome | None = None
    notes: str | None = Field(None, max_length=50_000)
    related_type: RecordType | None = Field(None, description="The kind of record it is on")
    related_id: uuid.UUID | None = Field(None, description="The record it is on")
    owner_id: uuid.UUID | None = Field(None, description="Who made or took the call")

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return normalise_phone(v, get_settings().default_region) if v else None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


class CallCreate(_CallFields):
    subject: str = Field(min_length=1, max_length=300)
    direction: CallDirection
    started_at: datetime | None = Field(None, description="Default: now")

    @field_validator("started_at")
    @classmethod
    def _started(cls, v: datetime | None) -> datetime | None:
        return _utc(v)


class CallUpdate(_CallFields):
    subject: str | None = Field(None, min_length=1, max_length=300)
    direction: CallDirection | None = None
    started_at: datetime | None = None

    @field_validator("started_at")
    @classmethod
    def _started(cls, v: datetime | None) -> datetime | None:
        return _utc(v)


class CallOut(OutputModel):
    id: uuid.UUID
    subject: str
    direction: str
    phone_number: str | None = None
    contact_id: uuid.UUID | None = None
    started_at: datetime
    duration_seconds: int | None = None
    outcome: str | None = None
    notes: str | None = None
    has_recording: bool = False
    recording_content_type: str | None = None
    recording_size: int | None = None
    recording_sha256: str | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
