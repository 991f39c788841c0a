from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel

FieldType = Literal[
    "text", "number", "money", "date", "boolean", "select", "multiselect", "email", "url"
]
ObjectType = Literal["account", "contact", "lead", "deal", "product"]


class CustomFieldCreate(InputModel):
    object_type: ObjectType
    key: str = Field(
        min_length=1,
        max_length=60,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Stable key; never changes",
    )
    label: str = Field(min_length=1, max_length=120)
    field_type: FieldType
    required: bool = False
    options: list[str] = Field(
        default_factory=list, max_length=200, description="Choices for select / multiselect"
    )
    position: int = Field(0, ge=0, le=10_000)


class CustomFieldUpdate(InputModel):
    label: str | None = Field(None, min_length=1, max_length=120)
    required: bool | None = None
    options: list[str] | None = Field(None, max_length=200)
    position: int | None = Field(None, ge=0, le=10_000)
    archived: bool | None = None


class CustomFieldOut(OutputModel):
    id: uuid.UUID
    object_type: str
    key: str
    label: str
    field_type: str
    required: bool
    options: list[str]
    position: int
    archived: bool
    version: int
    created_at: datetime
