from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, field_validator

from nexa.core.schemas import InputModel, OutputModel
from nexa.record.schemas import RecordType

TaskStatus = Literal["open", "in_progress", "done", "cancelled"]
TaskPriority = Literal["low", "normal", "high", "urgent"]
TaskView = Literal["today", "overdue", "upcoming"]


def as_utc(value: datetime | None) -> datetime | None:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


class _TaskFields(InputModel):
    description: str | None = Field(None, max_length=20_000)
    due_at: datetime | None = Field(None, description="When it is due (UTC if no offset)")
    reminder_at: datetime | None = Field(None, description="When to remind; before due_at")
    related_type: RecordType | None = Field(None, description="The kind of record it is on")
    related_id: uuid.UUID | None = Field(None, description="The record it is on")
    owner_id: uuid.UUID | None = Field(None, description="The assignee (default: you)")

    @field_validator("due_at", "reminder_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return as_utc(v)


class TaskCreate(_TaskFields):
    title: str = Field(min_length=1, max_length=300)
    status: TaskStatus = "open"
    priority: TaskPriority = "normal"


class TaskUpdate(_TaskFields):
    title: str | None = Field(None, min_length=1, max_length=300)
    status: TaskStatus | None = None
    priority: TaskPriority | None = None


class TaskOut(OutputModel):
    id: uuid.UUID
    title: str
    description: str | None = None
    status: str
    priority: str
    due_at: datetime | None = None
    reminder_at: datetime | None = None
    reminded_at: datetime | None = None
    completed_at: datetime | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    created_by_id: uuid.UUID | None = None
    origin: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
