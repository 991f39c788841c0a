"""What the campaign analytics API answers: counters per campaign and step, rates, the daily
series the charts draw, member states, cost, attribution and step paths; a person's touches."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

METRICS = (
    "enrolled",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "replied",
    "bounced",
    "unsubscribed",
    "task",
    "goal",
)


class Counters(BaseModel):
    enrolled: int = 0
    sent: int = Field(0, description="messages queued by a step")
    delivered: int = Field(0, description="accepted by the receiving mail server")
    opened: int = Field(0, description="people who opened (machine opens left out)")
    clicked: int = 0
    replied: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    task: int = Field(0, description="tasks made for the owner (voice, LinkedIn steps)")
    goal: int = Field(0, description="goal conversions")


class Rates(BaseModel):
    """Shares of delivered messages (of sent ones while nothing is known delivered)."""

    delivered: float | None = None
    opened: float | None = None
    clicked: float | None = None
    replied: float | None = None
    bounced: float | None = None
    unsubscribed: float | None = None


class StepStats(BaseModel):
    step_id: uuid.UUID
    position: int
    name: str | None
    channel: str
    counters: Counters
    rates: Rates


class DailyPoint(BaseModel):
    day: date
    counters: Counters


AttributionModelName = Literal["first_touch", "last_touch", "linear"]


class AttributionTotals(BaseModel):
    model: AttributionModelName
    deals: float = Field(description="deals credited to the campaign (shares under linear)")
    pipeline: Decimal = Field(description="open and won amounts credited, org currency")
    revenue: Decimal = Field(description="won amounts credited, org currency")
    roi: float | None = Field(None, description="(revenue credited − actual cost) / cost")


class AttributedDeal(BaseModel):
    deal_id: uuid.UUID
    name: str
    stage_kind: str
    amount_org: Decimal | None
    created_at: datetime
    touches: int = Field(description="campaign touches of the person before the deal")
    first_touch: float
    last_touch: float
    linear: float


class PathStats(BaseModel):
    steps: list[int] = Field(description="positions of the steps the members got (from 0)")
    members: int
    converted: int = Field(description="members who reached the goal")
    conversion_rate: float


class CampaignStats(BaseModel):
    campaign_id: uuid.UUID
    name: str
    status: str
    currency: str = Field(description="the organization's currency: amounts and cost")
    totals: Counters
    rates: Rates
    steps: list[StepStats]
    daily: list[DailyPoint]
    members: dict[str, int] = Field(description="members per state")
    budget: Decimal | None
    actual_cost: Decimal | None
    cost_per_lead: Decimal | None = Field(description="actual cost / people enrolled")
    attribution: list[AttributionTotals]
    deals: list[AttributedDeal] = Field(description="the deals credited, largest first (≤ 100)")
    paths: list[PathStats] = Field(
        description="step paths and how each converts (a report: nothing is reordered)"
    )


class TouchOut(BaseModel):
    at: datetime
    kind: str
    channel: str
    campaign_id: uuid.UUID
    campaign: str
    step_id: uuid.UUID | None
    step_position: int | None
    step_name: str | None
    record_type: str
    record_id: uuid.UUID


class TouchHistory(BaseModel):
    record_type: str
    record_id: uuid.UUID
    items: list[TouchOut]
