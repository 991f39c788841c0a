from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel


class TeamCreate(InputModel):
    name: str = Field(min_length=1, max_length=120, description="Unique (case-insensitive)")
    parent_id: uuid.UUID | None = Field(None, description="The team this one belongs to")
    manager_id: uuid.UUID | None = Field(None, description="An active user")


class TeamUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    parent_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None


class TeamOut(OutputModel):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    member_count: int = Field(0, description="Users whose team this is (sub-teams not counted)")
    version: int
    created_at: datetime
    updated_at: datetime
