"""Consent and unsubscribe: the one-click POST (RFC 8058, no cookie, no CSRF token) and the
plain page; its effect (a suppression of the type, every contact and lead at the address
unsubscribed, ``email.unsubscribed``); what stops which mail (hard bounces and complaints
everything, unsubscribes and missing consent marketing of the type only); the opt-in
setting; subscriptions per contact and lead through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.email import engagement, mime, service
from nexa.email.schemas import EmailPolicyIn
from nexa.models import Activity, EmailSubscription, EmailSuppression
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.query_counts import count_queries


def send(client: Any, person: Any, record: Any, record_type: str = "lead", **extra: Any) -> Any:
    body = {
        "record_type": record_type,
        "record_id": str(record.id),
        "subject": "News for you",
        "text": "Hello",
        **extra,
    }
    return client.post("/api/v1/emails", headers=person.headers, json=body)


def unsubscribe_path(message_id: str) -> str:
    from nexa.config import get_settings

    url = mime.unsubscribe_url("http://x", message_id, get_settings().effective_secret_key)
    return url.removeprefix("http://x")


def suppressions(db: Any, address: str) -> set[tuple[str, str]]:
    stmt = select(EmailSuppression).where(EmailSuppression.address == address)
    return {(s.reason, s.kind) for s in db.scalars(stmt)}


def test_one_click_unsubscribe_without_cookies_stops_marketing_only(
    app: Any, client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="Ann@Example.org")
    contact = make_contact(db, rep.actor, email="ann@example.org")
    db.commit()
    out = send(client, rep, lead, kind="marketing").json()
    assert pump() == {"sent": 1}
    header = smtp_server.received[0].message["List-Unsubscribe"]
    path = unsubscribe_path(out["id"])
    assert path in header and header.startswith("<http")

    # a mail provider's POST: no cookie, no CSRF token, the RFC 8058 body
    with TestClient(app, base_url="http://testserver") as provider:
        response = provider.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200, response.text
        assert "unsubscribed" in response.text
        assert not provider.cookies
        # again: nothing changes, nothing is published twice
        assert provider.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200

    assert suppressions(db, "ann@example.org") == {("unsubscribe", "marketing")}
    subs = db.scalars(select(EmailSubscription)).all()
    assert {(s.record_type, s.record_id, s.type, s.status) for s in subs} == {
        ("lead", lead.id, "marketing", "unsubscribed"),
        ("contact", contact.id, "marketing", "unsubscribed"),
    }
    outbox = db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "email.unsubscribed")
    ).all()
    assert len(outbox) == 1
    assert outbox[0].payload["address"] == "ann@example.org"
    assert outbox[0].payload["types"] == ["marketing"]
    # on the timelines of the lead the message was sent from and of the contact
    entries = db.scalars(select(Activity).where(Activity.event == "email.unsubscribed")).all()
    assert {e.record_id for e in entries} >= {lead.id, contact.id}

    refused = send(client, rep, lead, kind="marketing")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "to.0.address"
    assert refused.json()["reason"] == "unsubscribe"
    assert send(client, rep, lead, kind="marketing", subscription="newsletter").status_code == 201
    assert send(client, rep, lead).status_code == 201  # transactional


def test_the_page_offers_the_type_or_everything(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="bo@example.org")
    db.commit()
    out = send(client, rep, lead, kind="marketing", subscription="product").json()
    path = unsubscribe_path(out["id"])
    client.cookies.clear()
    page = client.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text and "product mail" in page.text
    assert 'value="all"' in page.text
    done = client.post(path, data={"scope": "all"})
    assert done.status_code == 200
    assert suppressions(db, "bo@example.org") == {("unsubscribe", "all")}
    for subscription in ("marketing", "newsletter", "product"):
        refused = send(client, rep, lead, kind="marketing", subscription=subscription)
        assert refused.status_code == 422, subscription
    # subscribing again (the person asked for it) lifts the type only
    put = client.put(
        f"/api/v1/leads/{lead.id}/subscriptions",
        headers=rep.headers,
        json={"items": [{"type": "newsletter", "status": "subscribed", "source": "form"}]},
    )
    assert put.status_code == 200, put.text
    assert send(client, rep, lead, kind="marketing", subscription="newsletter").status_code == 201
    assert send(client, rep, lead, kind="marketing").status_code == 422


def test_forged_unsubscribe_links_are_404_pages(client: Any, db: Any) -> None:
    forged = mime.unsubscribe_token(str(uuid.uuid4()), "not the key" * 4)
    unknown = unsubscribe_path(str(uuid.uuid4()))
    for path in (f"/email/unsubscribe/{forged}", unknown, "/email/unsubscribe/" + "x" * 300):
        assert client.get(path).status_code == 404
        assert client.post(path, content=b"List-Unsubscribe=One-Click").status_code == 404


def test_what_stops_which_mail(db: Any) -> None:
    service.add_suppression(db, "bounced@example.org", "hard_bounce")
    service.add_suppression(db, "angry@example.org", "complaint")
    service.add_suppression(db, "nonews@example.org", "unsubscribe", kind="newsletter")
    service.add_suppression(db, "nothing@example.org", "unsubscribe", kind="all")
    db.flush()
    everyone = [
        "bounced@example.org",
        "angry@example.org",
        "nonews@example.org",
        "nothing@example.org",
        "fine@example.org",
    ]
    assert service.refusals(db, everyone, "transactional", None) == {
        "bounced@example.org": "hard_bounce",
        "angry@example.org": "complaint",
    }
    assert service.refusals(db, everyone, "marketing", "marketing") == {
        "bounced@example.org": "hard_bounce",
        "angry@example.org": "complaint",
        "nothing@example.org": "unsubscribe",
    }
    assert service.refusals(db, everyone, "marketing", "newsletter") == {
        "bounced@example.org": "hard_bounce",
        "angry@example.org": "complaint",
        "nonews@example.org": "unsubscribe",
        "nothing@example.org": "unsubscribe",
    }


def test_explicit_opt_in(client: Any, db: Any, smtp_server: SmtpServer, pump: Pump) -> None:
    configure(db, smtp_server)
    admin = make_user(db, "admin")
    rep = make_user(db, "sales_rep")
    contact = make_contact(db, rep.actor, email="cy@example.org")
    db.commit()
    queued = send(client, rep, contact, "contact", kind="marketing")
    assert queued.status_code == 201
    put = client.put(
        "/api/v1/email/policy",
        headers=admin.headers,
        json={"tracking": True, "marketing_requires_opt_in": True},
    )
    assert put.json() == {"tracking": True, "marketing_requires_opt_in": True}
    # queued before the setting changed: refused at delivery, never sent
    assert pump() == {"failed": 1}
    assert smtp_server.received == []

    refused = send(client, rep, contact, "contact", kind="marketing")
    assert refused.status_code == 422 and refused.json()["reason"] == "no_consent"
    assert refused.json()["errors"][0]["field"] == "to.0.address"
    assert send(client, rep, contact, "contact").status_code == 201  # transactional

    before = client.get(f"/api/v1/contacts/{contact.id}/subscriptions", headers=rep.headers)
    assert [i["status"] for i in before.json()["items"]] == ["unknown"] * 3
    consent = {"type": "marketing", "status": "subscribed", "source": "double_opt_in",
               "consent_at": "2026-11-30T09:00:00Z"}  # fmt: skip
    put = client.put(
        f"/api/v1/contacts/{contact.id}/subscriptions",
        headers=rep.headers,
        json={"items": [consent]},
    )
    assert put.status_code == 200, put.text
    marketing = put.json()["items"][0]
    assert marketing["status"] == "subscribed" and marketing["consent_source"] == "double_opt_in"
    assert marketing["consent_at"].startswith("2026-11-30T09:00")
    assert send(client, rep, contact, "contact", kind="marketing").status_code == 201
    refused = send(client, rep, contact, "contact", kind="marketing", subscription="newsletter")
    assert refused.status_code == 422  # consent is per type
    # who changed consent, when and how: an event on the contact (audit, timeline, webhooks);
    # the same change again is no change
    client.put(
        f"/api/v1/contacts/{contact.id}/subscriptions",
        headers=rep.headers,
        json={"items": [consent]},
    )
    (changed,) = db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "email.consent_changed")
    ).all()
    assert changed.record_id == contact.id and changed.actor_id == rep.id
    assert changed.payload["subscriptions"] == [
        {"type": "marketing", "status": "subscribed", "source": "double_opt_in"}
    ]


def test_subscriptions_follow_the_record_s_permissions(client: Any, db: Any) -> None:
    owner = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    lead = make_lead(db, owner.actor, email="dee@example.org")
    db.commit()
    path = f"/api/v1/leads/{lead.id}/subscriptions"
    body = {"items": [{"type": "product", "status": "unsubscribed"}]}
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.put(path, headers=other.headers, json=body).status_code == 404
    assert client.put(path, headers=owner.headers, json=body).status_code == 200
    change = {"type": "product", "status": "unsubscribed", "consent_at": "2026-01-01T00:00:00Z"}
    wrong = {"items": [change]}
    assert client.put(path, headers=owner.headers, json=wrong).status_code == 422


def test_marketing_allowed_is_two_queries_for_a_batch(db: Any) -> None:
    service.put_policy(db, SYSTEM, EmailPolicyIn(marketing_requires_opt_in=True))
    db.flush()
    addresses = [f"person{i}@example.org" for i in range(500)]
    service.policy(db)  # the setting is read once per transaction
    with count_queries() as statements:
        refused = service.marketing_allowed(db, addresses, "marketing")
    assert len(statements) == 2
    assert set(refused.values()) == {"no_consent"} and len(refused) == 500


def test_the_mailto_unsubscribe(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="eve@example.org")
    db.commit()
    out = send(client, rep, lead, kind="marketing").json()
    hex_id = uuid.UUID(out["id"]).hex
    assert not engagement.unsubscribe_by_mailto(db, f"unsubscribe+{hex_id}@elsewhere.example.com")
    assert not engagement.unsubscribe_by_mailto(db, "unsubscribe+nothing@mail.example.com")
    assert engagement.unsubscribe_by_mailto(db, f"unsubscribe+{hex_id}@mail.example.com")
    db.commit()
    assert suppressions(db, "eve@example.org") == {("unsubscribe", "marketing")}
