"""Lists (static and dynamic segments): request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel

ListKind = Literal["static", "dynamic"]
ListObject = Literal["contact", "lead", "account"]
FilterExpression = Annotated[str, Field(min_length=1, max_length=500)]
MAX_MEMBERS_PER_CALL = 1000


class ListCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    kind: ListKind = "static"
    object_type: ListObject = "contact"
    filter: str | None = Field(
        None,
        max_length=10_000,
        description="dynamic lists: field:op:value expressions, one per line",
    )
    filters: list[FilterExpression] | None = Field(
        None, max_length=20, description="dynamic lists: the expressions as a list"
    )


class ListUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    filter: str | None = Field(None, max_length=10_000)
    filters: list[FilterExpression] | None = Field(None, max_length=20)


class ListOut(OutputModel):
    id: uuid.UUID
    name: str
    description: str | None = None
    kind: str
    object_type: str
    filter: str | None = None
    filters: list[str] = Field(default_factory=list)
    system_key: str | None = None
    is_locked: bool
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class MemberIds(InputModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_MEMBERS_PER_CALL)


class MembersChanged(OutputModel):
    list_id: uuid.UUID
    changed: int = Field(description="records added (or removed) by this call")
    unchanged: int = Field(description="records already in (or already not in) the list")


class MemberOut(OutputModel):
    id: uuid.UUID
    record_type: str
    name: str
    email: str | None = None
    owner_id: uuid.UUID | None = None


class MemberPage(OutputModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class Memberships(OutputModel):
    items: list[ListOut]
