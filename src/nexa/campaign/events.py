"""The events campaigns publish: their life cycle, their status moves, and what happens to a
member that a person would want on the record's timeline (a goal reached, an exit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nexa.core.events import EventPayload, declare, json_key
from nexa.record.events import declare_lifecycle


@dataclass(frozen=True, kw_only=True)
class CampaignStatusChanged(EventPayload):
    name: str
    from_: str | None = field(metadata=json_key("from"))
    to: str


@dataclass(frozen=True, kw_only=True)
class CampaignMemberPayload(EventPayload):
    """A member's state changed: ``name`` is what the record's timeline shows."""

    name: str
    campaign: str
    state: str
    reason: str | None = None
    related_type: str | None = None
    related_id: str | None = None


STATUS_CHANGED = declare(
    "campaign.status_changed",
    payload=CampaignStatusChanged,
    permission="campaign:read",
    description="A campaign was scheduled, started, paused, resumed or completed",
)
GOAL_REACHED = declare(
    "campaign.goal_reached",
    payload=CampaignMemberPayload,
    permission="campaign:read",
    description="A campaign member reached the campaign's goal (a meeting booked, a deal "
    "created, a form submitted or the custom event)",
)
MEMBER_EXITED = declare(
    "campaign.member_exited",
    payload=CampaignMemberPayload,
    permission="campaign:read",
    description="A member left a sequence before its end: replied, unsubscribed, bounced, "
    "a deal was created, a condition ended it, or someone removed it",
)

CAMPAIGN_EVENTS = [*declare_lifecycle("campaign", "campaign"), STATUS_CHANGED]
