"""Sending and delivery: a message reaches a real loopback provider (Twilio-compatible and
generic) with the right fields and credentials; a provider error is retried after the backoff
and then sent; the log provider only records; a dedupe key queues (and delivers) once."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.models import Activity, SmsMessage
from nexa.sms import service
from nexa.sms.schemas import SmsSend, SmsSettingsIn
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM, Provider, Pump, use_http, use_twilio


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def reload(db: Any, message_id: Any) -> SmsMessage:
    row = db.scalar(
        unscoped(select(SmsMessage).where(SmsMessage.id == message_id)).execution_options(
            populate_existing=True
        )
    )
    assert row is not None
    return row


def test_twilio_gets_the_message_with_its_fields_and_credentials(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, phone="+1 (555) 555-0142")
    message = service.send(
        db, rep.actor, SmsSend(record_type="lead", record_id=lead.id, body="Hi Sam, see you at 3?")
    )
    assert message.state == "queued" and message.to_number == "+15555550142"
    assert provider.requests == []  # nothing before commit

    assert pump() == {"sent": 1}
    [request] = provider.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {"To": "+15555550142", "From": FROM, "Body": "Hi Sam, see you at 3?"}

    row = reload(db, message.id)
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.provider_message_id and row.provider_message_id.startswith("SM")
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.sent") == 1
    # both events are on the lead's timeline
    assert count(db, Activity, Activity.record_id == lead.id, Activity.event == "sms.sent") == 1
    assert count(db, Activity, Activity.record_id == lead.id, Activity.event == "sms.queued") == 1


def test_the_generic_endpoint_gets_json_and_its_secret_header(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_http(db, provider)
    contact = make_contact(db, phone="+15555550150", mobile="+15555550151")
    message = service.send(
        db, SYSTEM, SmsSend(record_type="contact", record_id=contact.id, body="Your order shipped")
    )
    assert pump() == {"sent": 1}
    [request] = provider.requests
    assert request.path == "/sms/send"
    assert request.headers["x-api-key"] == "generic-secret"
    assert request.headers["idempotency-key"] == str(message.id)
    # a contact is texted on their mobile
    assert request.json == {"to": "+15555550151", "from": FROM, "body": "Your order shipped"}
    assert reload(db, message.id).state == "sent"


def test_a_provider_error_is_retried_after_the_backoff_then_sent(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550160")
    message = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    provider.fail_with = [500]
    start = utcnow()
    assert pump(now=start) == {"queued": 1}
    row = reload(db, message.id)
    assert row.state == "queued" and row.attempts == 1
    assert row.error is not None and "HTTP 500" in row.error
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.failed") == 0

    assert pump.sweep(start + timedelta(seconds=30)) == {}  # not due yet
    assert pump.sweep(start + timedelta(minutes=2)) == {"sent": 1}
    row = reload(db, message.id)
    assert row.state == "sent" and row.attempts == 2 and row.error is None
    assert len(provider.requests) == 2


def test_a_permanent_refusal_fails_with_the_answer_kept(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550161")
    message = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    provider.fail_with = [400]
    assert pump() == {"failed": 1}
    row = reload(db, message.id)
    assert row.state == "failed" and row.error is not None and "HTTP 400" in row.error
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.failed") == 1


def test_the_log_provider_only_records(db: Any, provider: Provider, pump: Pump) -> None:
    service.put_sms_settings(db, SYSTEM, SmsSettingsIn(provider="log"))
    lead = make_lead(db, phone="+15555550162")
    message = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert pump() == {"sent": 1}
    assert provider.requests == []
    row = reload(db, message.id)
    assert row.state == "sent" and row.provider == "log"
    assert row.provider_message_id == f"log-{message.id.hex}"


def test_a_dedupe_key_twice_is_one_row_and_one_delivery(
    db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550163")
    data = SmsSend(record_type="lead", record_id=lead.id, body="Step 2", dedupe_key="c1:m1:s2")
    first = service.send(db, SYSTEM, data)
    pump()
    second = service.send(db, SYSTEM, data)
    assert second.id == first.id
    pump()
    assert count(db, SmsMessage, SmsMessage.dedupe_key == "c1:m1:s2") == 1
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.queued") == 1
    assert len(provider.requests) == 1


def test_a_body_over_1600_characters_is_a_422_naming_body(db: Any, provider: Provider) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550164")
    too_long = SmsSend.model_construct(
        record_type="lead", record_id=lead.id, body="x" * 1601, dedupe_key=None
    )
    with pytest.raises(ValidationFailed) as caught:
        service.send(db, SYSTEM, too_long)
    assert caught.value.field == "body"
    assert count(db, SmsMessage) == 0


def test_a_record_without_a_number_is_a_422(db: Any, provider: Provider) -> None:
    use_twilio(db, provider)
    lead = make_lead(db)
    with pytest.raises(ValidationFailed) as caught:
        service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert caught.value.field == "record_id"


def test_sending_before_set_up_is_a_422(db: Any) -> None:
    lead = make_lead(db, phone="+15555550165")
    with pytest.raises(ValidationFailed) as caught:
        service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert caught.value.field == "settings"


def test_the_api_sends_lists_and_shows_a_message(
    client: Any, db: Any, users: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, users.rep.actor, phone="+15555550166")
    db.commit()
    headers = users.rep.headers
    body = {"record_type": "lead", "record_id": str(lead.id), "body": "Hello from the API"}
    response = client.post("/api/v1/sms", json=body, headers=headers)
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["state"] == "queued" and sent["to_number"] == "+15555550166"
    pump()
    assert len(provider.requests) == 1
    listed = client.get("/api/v1/sms", params={"record_id": str(lead.id)}, headers=headers)
    assert [m["id"] for m in listed.json()["items"]] == [sent["id"]]
    one = client.get(f"/api/v1/sms/{sent['id']}", headers=headers).json()
    assert one["state"] == "sent"
    # another rep does not see it
    other = client.get(f"/api/v1/sms/{sent['id']}", headers=users.other_rep.headers)
    assert other.status_code == 404
    too_long = client.post("/api/v1/sms", json={**body, "body": "x" * 1601}, headers=headers)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"].endswith("body")
