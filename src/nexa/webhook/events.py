"""The events webhooks publish: the test message (sent to one endpoint, not via the outbox)."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class WebhookPing(EventPayload):
    webhook_id: str


PING = declare(
    "webhook.ping",
    payload=WebhookPing,
    permission="webhook:read",
    description="A test message sent on request to one webhook endpoint",
)
