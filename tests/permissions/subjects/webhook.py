"""Webhooks: an endpoint (with one delivery for the redeliver route) and valid bodies. URLs
are public IP literals: nothing is resolved, and jobs are only recorded (nothing is sent)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM
from tests.permissions.subjects import Request, Subject

URL = "https://93.184.216.34/hooks/nexa"


def _webhook(db: Any, _owner_id: Any) -> Any:
    from nexa.webhook.schemas import WebhookCreate
    from nexa.webhook.service import create_endpoint

    endpoint, _ = create_endpoint(db, SYSTEM, WebhookCreate(url=URL, events=["deal.*"]))
    return endpoint


def _record_request(route: Any, db: Any, record: Any, _cast: Any) -> Request | None:
    if not route.path.endswith("/redeliver"):
        return None
    from nexa.core.db import utcnow
    from nexa.models import WebhookDelivery

    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        endpoint_id=record.id,
        event_id=uuid.uuid4(),
        event_type="deal.won",
        payload={"type": "deal.won", "timestamp": utcnow().isoformat(), "data": {}},
        status="dead",
        attempts=9,
        created_at=utcnow(),
    )
    db.add(delivery)
    db.flush()
    return f"/api/v1/webhooks/{record.id}/deliveries/{delivery.id}/redeliver", None, None


def _other_request(route: Any, _db: Any, _cast: Any) -> Request | None:
    if route.path == "/api/v1/webhooks" and route.method == "POST":
        return route.path, {"url": URL, "events": ["deal.won"]}, None
    if route.path == "/api/v1/webhooks/settings" and route.method == "PUT":
        return route.path, {"allowed_hosts": ["hooks.internal"]}, None
    return None


SUBJECTS = [
    Subject(
        "webhook",
        _webhook,
        update_body={"description": "renamed"},
        record_request=_record_request,
        other_request=_other_request,
    )
]
