from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel
from nexa.record.schemas import RecordType


class NoteCreate(InputModel):
    body: str = Field(min_length=1, max_length=50_000)
    pinned: bool = False
    related_type: RecordType | None = Field(None, description="The kind of record it is on")
    related_id: uuid.UUID | None = Field(None, description="The record it is on")
    owner_id: uuid.UUID | None = Field(None, description="The author (default: you)")


class NoteUpdate(InputModel):
    body: str | None = Field(None, min_length=1, max_length=50_000)
    pinned: bool | None = None
    related_type: RecordType | None = None
    related_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


class NoteOut(OutputModel):
    id: uuid.UUID
    body: str
    pinned: bool
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
