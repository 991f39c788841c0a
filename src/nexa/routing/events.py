"""The lead events routing publishes."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class LeadRouted(EventPayload):
    name: str
    status: str
    owner_id: str | None
    assigned: bool  # False when the lead kept the owner it had
    rule: str | None
    segment: str | None
    priority: str
    sla_minutes: int
    sla_due_at: str
    nurtured: bool


@dataclass(frozen=True, kw_only=True)
class LeadSlaBreached(EventPayload):
    name: str
    status: str
    owner_id: str | None
    manager_id: str | None
    sla_due_at: str | None


declare(
    "lead.routed",
    payload=LeadRouted,
    permission="lead:read",
    description="A lead was routed: its assignee, priority and SLA due time were set",
)
declare(
    "lead.sla_breached",
    payload=LeadSlaBreached,
    permission="lead:read",
    description="A lead's first-response SLA passed unanswered; the manager was told",
)
