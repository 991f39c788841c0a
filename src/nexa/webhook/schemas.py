"""Webhook endpoints, deliveries and the allow-list as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel

DeliveryStatus = Literal["pending", "succeeded", "failed", "dead"]


class WebhookEventType(OutputModel):
    name: str
    description: str
    permission: str
    # the message's ``data`` beyond record_type/record_id/actor: a JSON-schema-like
    # description of the event's payload class (field names, types, which are always there)
    payload: dict[str, Any]


class WebhookEventTypes(OutputModel):
    items: list[WebhookEventType]


class WebhookSettings(InputModel):
    """Hosts (as written in URLs: names or IP literals) that may be called although they
    resolve to private, loopback or link-local addresses. Metadata addresses never may."""

    allowed_hosts: list[str] = Field(default_factory=list, max_length=100)


class WebhookCreate(InputModel):
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL to POST events to")
    events: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Event names or patterns (deal.*, *); see GET /api/v1/webhooks/events",
    )
    description: str = Field("", max_length=500)
    active: bool = True


class WebhookUpdate(InputModel):
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[str] | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    active: bool | None = None


class Webhook(OutputModel):
    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="whsec_… — shown only now; verify signatures with it")


class WebhookSecret(OutputModel):
    secret: str


class WebhookList(OutputModel):
    items: list[Webhook]


class WebhookDelivery(OutputModel):
    id: uuid.UUID = Field(description="The webhook-id header: the same on every retry")
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None = Field(description="HTTP status of the last answer")
    last_error: str | None
    duration_ms: float | None
    created_at: datetime
    delivered_at: datetime | None


class WebhookDeliveryList(OutputModel):
    items: list[WebhookDelivery]
