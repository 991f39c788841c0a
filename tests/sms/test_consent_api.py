"""A record's SMS consent through the API: whoever may change a lead records its opt-in (a
form, an import) — under "SMS needs opt-in" the lead may then be texted — or its opt-out,
which follows the number to other records; reading it shows the record's own status and
whether its number opted out elsewhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.sms import service
from nexa.sms.schemas import SmsSend
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.sms.conftest import Provider, Pump, use_twilio


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def test_an_opt_in_recorded_by_a_user_lets_the_message_through(
    client: Any, db: Any, users: Any, provider: Provider, pump: Pump
) -> None:
    use_twilio(db, provider, requires_opt_in=True)
    lead = make_lead(db, users.rep.actor, phone="+15555550185")
    db.commit()
    url = f"/api/v1/leads/{lead.id}/sms-consent"
    before = client.get(url, headers=users.rep.headers).json()
    assert before["status"] == "unknown" and before["number"] == "+15555550185"
    refused = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="a"))
    assert refused.state == "refused"

    r = client.put(url, json={"status": "subscribed", "source": "form"}, headers=users.rep.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "subscribed" and r.json()["consent_source"] == "form"
    assert count(db, OutboxMessage, OutboxMessage.event == "sms.opted_in") == 1
    sent = service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="b"))
    assert sent.state == "queued"
    pump()
    assert [r.form["Body"] for r in provider.requests] == ["b"]

    # another rep may not change it
    other = client.put(url, json={"status": "unsubscribed"}, headers=users.other_rep.headers)
    assert other.status_code in (403, 404)


def test_an_opt_out_follows_the_number(
    client: Any, db: Any, users: Any, provider: Provider
) -> None:
    use_twilio(db, provider)
    lead = make_lead(db, users.admin.actor, phone="+15555550186")
    contact = make_contact(db, users.admin.actor, mobile="+15555550186")
    db.commit()
    r = client.put(
        f"/api/v1/leads/{lead.id}/sms-consent",
        json={"status": "unsubscribed"},
        headers=users.admin.headers,
    )
    assert r.status_code == 200, r.text
    shown = client.get(f"/api/v1/contacts/{contact.id}/sms-consent", headers=users.admin.headers)
    assert shown.json()["status"] == "unknown" and shown.json()["opted_out_at_number"] is True
    refused = service.send(
        db, SYSTEM, SmsSend(record_type="contact", record_id=contact.id, body="x")
    )
    assert refused.state == "refused"
