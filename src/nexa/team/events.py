"""The events teams publish."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class TeamCreated(EventPayload):
    name: str
    parent_id: uuid.UUID | None
    manager_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class TeamUpdated(EventPayload):
    name: str


declare(
    "team.created", payload=TeamCreated, permission="team:read", description="A team was created"
)
declare(
    "team.updated",
    payload=TeamUpdated,
    permission="team:read",
    description="A team's name, parent or manager changed",
)
