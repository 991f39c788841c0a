"""The activity API's request and answer shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from nexa.core.schemas import OutputModel

RecordType = Literal[
    "lead",
    "contact",
    "account",
    "deal",
    "quote",
    "order",
    "product",
    "task",
    "meeting",
    "call",
    "note",
    "list",
    "user",
    "team",
]


class TimelineEntryOut(OutputModel):
    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    event: str
    summary: str
    actor_id: uuid.UUID | None = None
    actor_name: str
    occurred_at: datetime
    data: dict[str, Any]


class AuditEntryOut(OutputModel):
    id: uuid.UUID
    occurred_at: datetime
    actor_id: uuid.UUID | None = None
    actor_name: str
    event: str
    record_type: str
    record_id: uuid.UUID | None = None
    field: str | None = None
    old_value: Any = None
    new_value: Any = None
