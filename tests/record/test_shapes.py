"""One shaper per object decides what leaves the service: a field rule put in the hook
(``FIELD_RULES``, empty in the product) reaches the API answer, the web pages, the export
rows and the life-cycle event payload (what webhooks deliver) at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.lead.service import LeadService
from nexa.models import WebhookDelivery
from nexa.record.shapes import FIELD_RULES, SHAPERS
from nexa.webhook import service as webhooks
from nexa.webhook.schemas import WebhookCreate, WebhookSettings
from tests.factories.lead import make_lead
from tests.web.conftest import sign_in

LIFECYCLE = ("created", "updated", "deleted", "restored")


def _hide_lead_email(object_name: str, data: dict[str, Any]) -> dict[str, Any]:
    if object_name == "lead" and "email" in data:
        return {**data, "email": None}
    return data


@pytest.fixture(params=[False, True], ids=["no rule", "email hidden"])
def hidden(request: pytest.FixtureRequest) -> Iterator[bool]:
    """With and without a test rule hiding the leads' email (removed after the test)."""
    if request.param:
        FIELD_RULES.append(_hide_lead_email)
    try:
        yield request.param
    finally:
        if request.param:
            FIELD_RULES.remove(_hide_lead_email)


def _webhook_bodies(db: Any, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    """The webhook bodies the lead's events make (the outbox fan-out, no delivery)."""
    webhooks.put_settings(db, SYSTEM, WebhookSettings(allowed_hosts=["127.0.0.1"]))
    endpoint, _ = webhooks.create_endpoint(
        db, SYSTEM, WebhookCreate(url="http://127.0.0.1:9/hook", events=["lead.*"])
    )
    db.flush()
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.record_id == lead_id)).all()
    for message in messages:
        webhooks.fan_out(db, message)
    db.flush()
    deliveries = db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    ).all()
    return [dict(d.payload) for d in deliveries]


def test_a_field_rule_reaches_api_web_export_and_event_payloads(
    client: Any, db: Any, users: Any, hidden: bool
) -> None:
    email = f"shaped-{uuid.uuid4().hex[:8]}@shapes.example.com"
    lead = make_lead(db, users.admin.actor, email=email, company="Shaped Co")
    LeadService(db, users.admin.actor).delete(lead.id)
    LeadService(db, users.admin.actor).restore(lead.id)
    db.flush()
    expected = None if hidden else email
    headers = users.admin.headers

    # the API: one record and a page
    answer = client.get(f"/api/v1/leads/{lead.id}", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["email"] == expected
    page = client.get("/api/v1/leads", headers=headers).json()["items"]
    assert [item["email"] for item in page if item["id"] == str(lead.id)] == [expected]

    # the export
    export = client.get("/api/v1/exports/lead", headers=headers)
    assert export.status_code == 200
    assert (email in export.text) is not hidden
    assert "Shaped Co" in export.text

    # the web: the list page and the record's page
    sign_in(client, users.admin)
    listing = client.get("/leads")
    assert listing.status_code == 200
    assert (email in listing.text) is not hidden
    detail = client.get(f"/leads/{lead.id}")
    assert detail.status_code == 200
    assert "Shaped Co" in detail.text
    assert (email in detail.text) is not hidden

    # the life-cycle events (created, deleted, restored) as webhooks deliver them
    bodies = _webhook_bodies(db, lead.id)
    assert {"lead.created", "lead.deleted", "lead.restored"} <= {b["type"] for b in bodies}
    lifecycle = [b["data"] for b in bodies if b["type"].split(".")[1] in LIFECYCLE]
    assert {data["email"] for data in lifecycle} == {expected}
    assert {data["company"] for data in lifecycle} == {"Shaped Co"}


def test_every_web_object_has_a_registered_shaper() -> None:
    from nexa.web.objects import OBJECTS

    for obj in OBJECTS.values():
        assert SHAPERS[obj.name] is obj.shaper


def test_no_field_rules_in_the_product() -> None:
    assert FIELD_RULES == []
