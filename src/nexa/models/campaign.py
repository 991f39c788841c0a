"""Campaigns (issue 19): a campaign, its sequence steps, its members and what each step did
for each member (``campaign_step_runs``: one row per member and step, the idempotency key of
the sequence engine), the touches attribution reads, and daily counters analytics read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from nexa.core.db import (
    Base,
    JSONType,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.text import text_key

CAMPAIGN_TYPES = ("sequence", "one_off_email", "event", "webinar", "paid_ads", "other")
CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "paused", "completed")
CAMPAIGN_GOALS = ("none", "meeting_booked", "deal_created", "form_submission", "custom_event")
OPTIMIZATIONS = ("send_time", "channel_preference", "message_content", "sequence_order")
STEP_CHANNELS = ("email", "sms", "voice", "linkedin", "task")
WAIT_KINDS = ("days", "hours", "until")
ON_FAIL = ("skip", "exit")
MEMBER_STATES = (
    "enrolled",  # in, the first step not yet due
    "active",  # a step ran, the next is due later
    "waiting",  # held back (quiet hours, a mailbox's daily limit, a paused campaign)
    "completed",  # every step ran
    "goal_reached",
    "exited",  # stopped: exit_reason says why (replied, deal created, removed, condition…)
    "unsubscribed",
    "bounced",
)
LIVE_STATES = ("enrolled", "active", "waiting")
CAMPAIGN_LEVEL = uuid.UUID(int=0)  # the step of campaign-wide counters
MEMBER_TYPES = ("lead", "contact")


class Campaign(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    """A marketing campaign. A ``sequence`` campaign runs its steps for each member; the
    owner is the sender of its email (their mailbox and its daily limit)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        Index(
            "uq_campaigns_name_live",
            "name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND name_key IS NOT NULL"),
        ),
        Index("ix_campaigns_status", "status"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    type: Mapped[str] = mapped_column(String(20), nullable=False, default="sequence")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    goal: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    goal_event: Mapped[str | None] = mapped_column(String(80), nullable=True)
    list_ids: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    optimize: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    actual_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="USD")
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "21:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "08:00"
    daily_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the exit rules that apply (default all): replied, goal, unsubscribed, bounced, deal
    exit_on: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    # web forms whose submissions enrol the lead while the campaign runs
    web_form_ids: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)

    @validates("name")
    def _keep_name_key(self, _: str, value: str | None) -> str | None:
        self.name_key = text_key(value)
        return value


class CampaignStep(UUIDPkMixin, TimestampMixin, Base):
    """One step of a sequence: wait, then (if the condition holds) send or make a task."""

    __tablename__ = "campaign_steps"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    channel: Mapped[str] = mapped_column(String(12), nullable=False, default="email")
    wait_kind: Mapped[str] = mapped_column(String(8), nullable=False, default="days")
    wait_amount: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    wait_weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 = Monday
    wait_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "09:00"
    condition: Mapped[str | None] = mapped_column(Text, nullable=True)
    on_fail: Mapped[str] = mapped_column(String(8), nullable=False, default="skip")
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_templates.id", ondelete="SET NULL"), nullable=True
    )
    subject: Mapped[str | None] = mapped_column(String(998), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    action: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # content variants (Thompson sampling when the campaign optimises content)
    variants: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)


class CampaignMember(Base):
    """A lead or contact in a campaign. One row per campaign and person: enrolling again
    after an exit starts it over (a person is in a sequence at most once at a time)."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        UniqueConstraint("campaign_id", "record_type", "record_id"),
        Index("ix_campaign_members_due", "state", "next_at"),
        Index("ix_campaign_members_record", "record_type", "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    record_type: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="enrolled")
    exit_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    step_position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    enrolled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="record")
    last_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CampaignStepRun(Base):
    """What one step did for one member: sent (the message), a task, skipped (its condition
    failed) or exited. Unique per member and step: the engine's idempotency key — a step
    re-run after a crash finds the row and does nothing."""

    __tablename__ = "campaign_step_runs"
    __table_args__ = (
        UniqueConstraint("member_id", "step_id"),
        Index("ix_campaign_step_runs_message", "message_id"),
        Index("ix_campaign_step_runs_campaign", "campaign_id", "step_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaign_steps.id", ondelete="CASCADE"), nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaign_members.id", ondelete="CASCADE"), nullable=False
    )
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)  # sent task skipped exited
    channel: Mapped[str] = mapped_column(String(12), nullable=False)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    variant: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CampaignTouch(Base):
    """One touch of a person by a campaign (sent, opened, clicked, replied, bounced,
    unsubscribed, goal): the history attribution and ``touch_history`` read."""

    __tablename__ = "campaign_touches"
    __table_args__ = (
        Index("ix_campaign_touches_record", "record_type", "record_id", "at"),
        Index("ix_campaign_touches_campaign", "campaign_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    record_type: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    channel: Mapped[str] = mapped_column(String(12), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CampaignDailyStat(Base):
    """Counters per campaign, step and day, kept as events arrive, so the analytics page reads
    a few hundred rows, not every touch. The campaign's own counters (goals, enrolments) use
    ``CAMPAIGN_LEVEL`` as their step (a real value, so the unique key holds)."""

    __tablename__ = "campaign_daily_stats"
    __table_args__ = (
        Index(
            "ix_campaign_daily_stats_key", "campaign_id", "step_id", "day", "metric", unique=True
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    metric: Mapped[str] = mapped_column(String(16), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
