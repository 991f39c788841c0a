"""Meetings for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.meeting.schemas import MeetingCreate
from nexa.meeting.service import MeetingService
from nexa.models import Meeting


def make_meeting(db: Any, actor: Actor | None = None, **fields: Any) -> Meeting:
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    fields.setdefault("title", "Discovery call")
    fields.setdefault("starts_at", start)
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(minutes=30))
    return MeetingService(db, actor or SYSTEM).create(MeetingCreate(**fields))
