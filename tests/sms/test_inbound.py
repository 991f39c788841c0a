"""The inbound webhook and SMS consent: STOP opts a person out (a later send is refused and
nothing reaches the provider, campaigns' bulk sends included), START opts them in again (the
next send is delivered), HELP is only recorded; a message from an unknown number is stored
unmatched; a wrong token is a 404; Twilio's form and a JSON body are both read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.models import Activity, SmsMessage
from nexa.sms import service
from nexa.sms.schemas import SmsSend, SmsSettingsIn
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.sms.conftest import FROM, Provider, Pump, use_twilio


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def inbound_url(db: Any) -> str:
    return service.get_sms_settings(db, SYSTEM).inbound_path


def text_in(client: Any, db: Any, sender: str, body: str) -> Any:
    """What Twilio posts for a message it received (form-encoded)."""
    response = client.post(
        inbound_url(db),
        data={"From": sender, "To": FROM, "Body": body, "MessageSid": "SMx"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    return response


def latest_inbound(db: Any) -> SmsMessage:
    stmt = unscoped(
        select(SmsMessage)
        .where(SmsMessage.direction == "in")
        .order_by(SmsMessage.created_at.desc())
        .limit(1)
    )
    row = db.scalar(stmt.execution_options(populate_existing=True))
    assert row is not None
    return row


def test_stop_refuses_the_next_send_and_start_lets_it_through(
    client: Any, db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550170")
    db.commit()

    text_in(client, db, "+15555550170", "Stop")
    received = latest_inbound(db)
    assert received.keyword == "STOP" and received.related_id == lead.id
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.opted_out") == 1

    refused = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert refused.state == "refused"
    assert refused.error is not None and "opted_out" in refused.error
    # campaigns' bulk path refuses too
    bulk = service.send_many(db, SYSTEM, "lead", [(lead.id, "Hi again", "camp:1:1")])
    assert bulk.queued == [] and "opted_out" in bulk.skipped[0][1]
    pump()
    assert provider.requests == []  # nothing reached the provider

    text_in(client, db, "+15555550170", "START")
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.opted_in") == 1
    again = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi!"))
    assert again.state == "queued"
    pump()
    assert [r.form["Body"] for r in provider.requests] == ["Hi!"]


def test_an_opt_out_after_queueing_stops_the_delivery(
    client: Any, db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    contact = make_contact(db, mobile="+15555550171")
    message = service.send(
        db, SYSTEM, SmsSend(record_type="contact", record_id=contact.id, body="Offer")
    )
    db.commit()
    text_in(client, db, "+15555550171", "unsubscribe")
    pump()
    assert provider.requests == []
    row = db.scalar(
        unscoped(select(SmsMessage).where(SmsMessage.id == message.id)).execution_options(
            populate_existing=True
        )
    )
    assert row.state == "refused"


def test_an_opt_out_follows_the_number_to_other_records(
    client: Any, db: Any, provider: Provider
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550172")
    db.commit()
    text_in(client, db, "+15555550172", "QUIT")
    # a contact made later with the same number is not texted either
    contact = make_contact(db, phone="+15555550172")
    refused = service.send(
        db, SYSTEM, SmsSend(record_type="contact", record_id=contact.id, body="Hi")
    )
    assert refused.state == "refused"
    assert lead.id != contact.id


def test_a_stop_before_any_record_had_the_number_still_counts(
    client: Any, db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider)
    db.commit()
    text_in(client, db, "+15555550178", "STOP")
    assert latest_inbound(db).related_id is None
    lead = make_lead(db, phone="+15555550178")  # made afterwards
    refused = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert refused.state == "refused"
    pump()
    assert provider.requests == []
    text_in(client, db, "+15555550178", "start")
    sent = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi!"))
    assert sent.state == "queued"


def test_help_is_only_recorded(client: Any, db: Any, provider: Provider) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550173")
    db.commit()
    text_in(client, db, "+15555550173", "help")
    assert latest_inbound(db).keyword == "HELP"
    assert count(db, OutboxMessage, OutboxMessage.event.in_(["sms.opted_out", "sms.opted_in"])) == 0
    sent = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert sent.state == "queued"
    # a sentence with the word in it is no keyword
    text_in(client, db, "+15555550173", "please do not stop")
    assert latest_inbound(db).keyword is None


def test_a_message_is_on_the_records_timeline(client: Any, db: Any, provider: Provider) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, phone="+15555550174")
    db.commit()
    text_in(client, db, "+15555550174", "Yes, 3pm works")
    row = latest_inbound(db)
    assert row.body == "Yes, 3pm works" and row.owner_id == lead.owner_id
    assert row.from_number == "+15555550174" and row.to_number == FROM
    entries = count(db, Activity, Activity.record_id == lead.id, Activity.event == "sms.received")
    assert entries == 1
    outbox = db.scalar(unscoped(select(OutboxMessage).where(OutboxMessage.event == "sms.received")))
    assert outbox.payload["related_type"] == "lead"
    assert outbox.payload["related_id"] == str(lead.id)
    assert outbox.payload["body"] == "Yes, 3pm works" and outbox.payload["keyword"] is None


def test_a_message_from_an_unknown_number_is_stored_unmatched(
    client: Any, db: Any, provider: Provider
) -> None:
    use_twilio(db, provider)
    db.commit()
    response = client.post(
        inbound_url(db), json={"from": "+15555550175", "to": FROM, "body": "who is this?"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["matched"] is False
    row = latest_inbound(db)
    assert row.related_id is None and row.related_type is None and row.owner_id is None
    assert row.body == "who is this?" and row.state == "received"


def test_a_wrong_token_is_a_404_and_stores_nothing(client: Any, db: Any) -> None:
    service.put_sms_settings(db, SYSTEM, SmsSettingsIn(provider="log"))
    db.commit()
    response = client.post(
        "/sms/inbound/not-the-token", data={"From": "+15555550176", "Body": "STOP"}
    )
    assert response.status_code == 404
    assert count(db, SmsMessage) == 0


def test_opt_in_required_refuses_those_who_never_opted_in(
    client: Any, db: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider, requires_opt_in=True)
    lead = make_lead(db, phone="+15555550177")
    db.commit()
    refused = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert refused.state == "refused" and "no_consent" in (refused.error or "")
    text_in(client, db, "+15555550177", "YES")
    sent = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hi"))
    assert sent.state == "queued"
    pump()
    assert len(provider.requests) == 1
