"""Mass email (issue 19): request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel
from nexa.email.schemas import HTML_MAX, TEXT_MAX, SubscriptionType

Metric = Literal["open", "click", "reply"]
MAX_VARIANTS = 4
MAX_SEEDS = 20


class Variant(InputModel):
    """One version of the message: a subject and/or bodies, or a template (its subject and
    bodies fill what is left empty)."""

    subject: str | None = Field(None, max_length=998)
    text: str | None = Field(None, max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str | None = Field(None, max_length=HTML_MAX)
    template_id: uuid.UUID | None = None


class MassEmailCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    list_id: uuid.UUID = Field(description="The audience: a list of leads or contacts")
    variants: list[Variant] = Field(
        max_length=10, description="1 to 4 variants; with 2 or more, an A/B test picks one"
    )
    seed: list[str] = Field(
        default_factory=list,
        max_length=MAX_SEEDS,
        description="Addresses or user ids that always get a copy (untracked, not counted)",
    )
    sender_id: uuid.UUID | None = Field(None, description="One of the owner's sender identities")
    subscription: SubscriptionType = "marketing"
    test_share: int = Field(20, ge=5, le=50, description="Percent of the list in the A/B test")
    metric: Metric = Field("click", description="What decides the A/B test")
    wait_hours: int = Field(4, ge=1, le=168, description="Hours before the winner is picked")
    confidence: float = Field(0.95, ge=0.8, le=0.999)


class MassEmailUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    list_id: uuid.UUID | None = None
    variants: list[Variant] | None = Field(None, max_length=10)
    seed: list[str] | None = Field(None, max_length=MAX_SEEDS)
    sender_id: uuid.UUID | None = None
    subscription: SubscriptionType | None = None
    test_share: int | None = Field(None, ge=5, le=50)
    metric: Metric | None = None
    wait_hours: int | None = Field(None, ge=1, le=168)
    confidence: float | None = Field(None, ge=0.8, le=0.999)


class MassEmailOut(OutputModel):
    id: uuid.UUID
    name: str
    list_id: uuid.UUID
    sender_id: uuid.UUID | None = None
    subscription: str
    status: str
    send_at: datetime | None = None
    variants: list[dict[str, Any]]
    seed: list[str]
    test_share: int
    metric: str
    wait_hours: int
    confidence: float
    started_at: datetime | None = None
    test_ends_at: datetime | None = None
    winner: int | None = None
    ab_result: dict[str, Any] | None = None
    finished_at: datetime | None = None
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class ScheduleIn(InputModel):
    send_at: datetime | None = Field(None, description="When to send; now if left out")


class TestSendIn(InputModel):
    variant: int | None = Field(None, ge=0, le=MAX_VARIANTS - 1, description="All when left out")
    record_id: uuid.UUID | None = Field(None, description="A member whose merge fields to use")


class TestSent(OutputModel):
    to: str
    queued: list[uuid.UUID]


class RenderedVariant(OutputModel):
    variant: int
    subject: str
    text: str
    html: str | None = None


class Preview(OutputModel):
    record_id: uuid.UUID | None = Field(description="The member rendered for (none: no member)")
    variants: list[RenderedVariant]


class VariantStats(OutputModel):
    variant: int | None = Field(description="None: everyone together")
    recipients: int = 0
    pending: int = 0
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    skipped: int = 0


class Stats(OutputModel):
    total: VariantStats
    variants: list[VariantStats]
    skipped_reasons: dict[str, int]
    ab_result: dict[str, Any] | None = None
