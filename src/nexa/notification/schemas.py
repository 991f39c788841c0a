"""The notification API's request and answer shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from nexa.core.schemas import OutputModel


class NotificationOut(OutputModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str | None = None
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    created_at: datetime
    read_at: datetime | None = None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    unread: int
