"""Campaigns: request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from nexa.core.schemas import InputModel, OutputModel

CampaignType = Literal["sequence", "one_off_email", "event", "webinar", "paid_ads", "other"]
CampaignStatus = Literal["draft", "scheduled", "running", "paused", "completed"]
Goal = Literal[
    "none", "meeting_booked", "demo_booking", "deal_created", "form_submission", "custom_event"
]
Optimization = Literal["send_time", "channel_preference", "message_content", "sequence_order"]
Channel = Literal["email", "sms", "voice", "linkedin", "task"]
ExitRule = Literal["replied", "goal", "unsubscribed", "bounced", "deal_created"]
MemberType = Literal["lead", "contact"]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])]
MAX_STEPS = 30
MAX_ENROL = 5000


class _CampaignFields(InputModel):
    description: str | None = Field(None, max_length=5000)
    type: CampaignType | None = None
    goal: Goal | None = Field(
        None, description="demo_booking is the spec's name for meeting_booked"
    )
    goal_event: str | None = Field(
        None,
        max_length=80,
        pattern=r"^[a-z0-9_.:-]+$",
        description="custom_event goals: the event name sent to POST /campaigns/goal-events",
    )
    list_ids: list[uuid.UUID] | None = Field(None, max_length=20)
    segment: uuid.UUID | None = Field(None, description="One list (the spec's name): list_ids")
    optimize: list[Optimization] | None = None
    ai_optimized: bool | None = Field(None, description="Shorthand: optimise everything")
    budget: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    actual_cost: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    starts_on: date | None = None
    ends_on: date | None = None
    quiet_start: HHMM | None = Field(None, description="No sends from this local time …")
    quiet_end: HHMM | None = Field(None, description="… until this one (the member's zone)")
    daily_limit: int | None = Field(
        None, ge=1, le=100_000, description="Emails a day from the sender's mailbox"
    )
    exit_on: list[ExitRule] | None = None
    web_form_ids: list[uuid.UUID] | None = Field(
        None, max_length=20, description="Web forms whose submissions enrol the lead (running)"
    )
    channels: list[Channel] | None = Field(None, description="Informative (the spec's field)")
    owner_id: uuid.UUID | None = None


class CampaignCreate(_CampaignFields):
    name: str = Field(min_length=1, max_length=200)
    type: CampaignType | None = "sequence"
    steps: list[StepIn] | None = Field(None, max_length=MAX_STEPS)


class CampaignUpdate(_CampaignFields):
    name: str | None = Field(None, min_length=1, max_length=200)


class StepVariant(InputModel):
    subject: str | None = Field(None, max_length=998)
    body: str | None = Field(None, max_length=100_000)
    template_id: uuid.UUID | None = None


class StepIn(InputModel):
    """One step. ``day`` (days after enrolment, as in Use Case 4) or a ``wait`` after the
    previous step (``wait_kind`` days/hours/until a weekday and time in the member's zone)."""

    name: str | None = Field(None, max_length=200)
    channel: Channel = "email"
    day: int | None = Field(None, ge=0, le=3650)
    wait_kind: Literal["days", "hours", "until"] | None = None
    wait_amount: int | None = Field(None, ge=0, le=8760)
    wait_weekday: int | None = Field(None, ge=0, le=6, description="0 = Monday")
    wait_time: HHMM | None = None
    condition: str | None = Field(None, max_length=2000)
    on_fail: Literal["skip", "exit"] = "skip"
    template: str | None = Field(None, max_length=200, description="A template's name")
    template_id: uuid.UUID | None = None
    subject: str | None = Field(None, max_length=998)
    body: str | None = Field(None, max_length=100_000, json_schema_extra={"x-multiline": True})
    action: str | None = Field(None, max_length=60)
    message: str | None = Field(None, max_length=200, description="LinkedIn: a template name")
    script: str | None = Field(None, max_length=200, description="Voice: a template name")
    personalize: bool | None = None
    variants: list[StepVariant] | None = Field(None, max_length=4)

    @model_validator(mode="after")
    def _one_wait(self) -> StepIn:
        if self.day is not None and self.wait_kind is not None:
            raise ValueError("give day (after enrolment) or wait_kind (after the last step)")
        return self


class StepsIn(InputModel):
    steps: list[StepIn] = Field(min_length=1, max_length=MAX_STEPS)


class StepOut(OutputModel):
    id: uuid.UUID
    position: int
    name: str | None = None
    channel: str
    wait_kind: str
    wait_amount: int
    wait_weekday: int | None = None
    wait_time: str | None = None
    condition: str | None = None
    on_fail: str
    template_id: uuid.UUID | None = None
    subject: str | None = None
    body: str | None = None
    action: str | None = None
    variants: list[dict[str, object]] = Field(default_factory=list)


class CampaignOut(OutputModel):
    id: uuid.UUID
    name: str
    description: str | None = None
    type: str
    status: str
    goal: str
    goal_event: str | None = None
    list_ids: list[uuid.UUID] = Field(default_factory=list)
    optimize: list[str] = Field(default_factory=list)
    budget: Decimal | None = None
    actual_cost: Decimal | None = None
    currency: str
    starts_on: date | None = None
    ends_on: date | None = None
    start_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    daily_limit: int | None = None
    exit_on: list[str] = Field(default_factory=list)
    web_form_ids: list[uuid.UUID] = Field(default_factory=list)
    steps: list[StepOut] = Field(default_factory=list)
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class OptimizationIn(InputModel):
    optimize: list[Optimization] = Field(max_length=4)


class CampaignSchedule(InputModel):
    start_at: datetime | None = Field(None, description="Start later (time zone required)")


class Enrol(InputModel):
    """Who to enrol: records of one type by id, a list, or filter expressions."""

    record_type: MemberType | None = None
    record_ids: list[uuid.UUID] | None = Field(None, max_length=MAX_ENROL)
    list_id: uuid.UUID | None = None
    filters: list[Annotated[str, Field(min_length=1, max_length=500)]] | None = Field(
        None, max_length=20
    )

    @model_validator(mode="after")
    def _one_source(self) -> Enrol:
        given = [x for x in (self.record_ids, self.list_id, self.filters) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of record_ids, list_id or filters")
        if (self.record_ids or self.filters) and self.record_type is None:
            raise ValueError("record_type is required with record_ids or filters")
        return self


class CampaignRemove(InputModel):
    record_type: MemberType
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_ENROL)


class EnrolSkip(OutputModel):
    record_id: uuid.UUID
    reason: str


class EnrolResult(OutputModel):
    campaign_id: uuid.UUID
    enrolled: int
    skipped: list[EnrolSkip]


class CampaignRemoveResult(OutputModel):
    campaign_id: uuid.UUID
    removed: int


class CampaignMemberOut(OutputModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    state: str
    exit_reason: str | None = None
    step_position: int
    next_at: datetime | None = None
    enrolled_at: datetime
    last_step_at: datetime | None = None
    ended_at: datetime | None = None


class CampaignMemberPage(OutputModel):
    items: list[CampaignMemberOut]
    next_cursor: str | None = None


class CampaignMembership(OutputModel):
    campaign_id: uuid.UUID
    campaign: str
    campaign_status: str
    member: CampaignMemberOut


class CampaignMemberships(OutputModel):
    items: list[CampaignMembership]


class GoalEvent(InputModel):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_.:-]+$")
    record_type: MemberType
    record_id: uuid.UUID


class GoalEventResult(OutputModel):
    goals_reached: int


CampaignCreate.model_rebuild()
