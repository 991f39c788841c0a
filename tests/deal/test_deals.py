"""Deals over HTTP: fields, probability and weighted value, stage moves and their history,
currencies, validation naming the field."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.deal.repository import DealRepository
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal, set_rate

API = "/api/v1/deals"


def _events(db: Any, deal_id: Any) -> list[str]:
    return list(
        db.scalars(
            select(OutboxMessage.event)
            .where(OutboxMessage.record_id == deal_id)
            .order_by(OutboxMessage.created_at)
        )
    )


def test_create_defaults_and_weighted_value(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor)
    contact = make_contact(db, users.rep.actor, account_id=account.id)
    db.commit()
    r = client.post(
        API,
        headers=users.rep.headers,
        json={
            "name": "Acme Corp - Enterprise Plan",
            "amount": "50000",
            "stage": "qualification",
            "close_date": str(date.today() + timedelta(days=90)),
            "account_id": str(account.id),
            "primary_contact_id": str(contact.id),
            "type": "new_business",
            "competitors": ["HubSpot"],
            "sales_team": [str(users.teammate.id)],
            "tags": ["enterprise"],
        },
    )
    assert r.status_code == 201, r.text
    deal = r.json()
    assert deal["currency"] == "USD" and deal["org_currency"] == "USD"
    assert deal["probability"] == 25 and deal["probability_overridden"] is False
    assert deal["amount_org"] == "50000.00"
    assert deal["weighted_value"] == "12500.00"
    assert deal["stage"] == "qualification" and deal["stage_name"] == "Qualification"
    assert deal["stage_kind"] == "open" and deal["days_in_stage"] == 0
    assert deal["sales_cycle_days"] == 0
    assert deal["owner_id"] == str(users.rep.id)
    assert deal["sales_team"] == [str(users.teammate.id)]
    assert deal["competitors"] == ["HubSpot"]
    # the sales team member reads and writes the deal
    got = client.get(f"{API}/{deal['id']}", headers=users.teammate.headers)
    assert got.status_code == 200
    # default stage is the first open stage of the default pipeline
    plain = client.post(API, headers=users.rep.headers, json={"name": "Small"}).json()
    assert plain["stage"] == "prospecting" and plain["probability"] == 10
    assert plain["amount"] is None and plain["weighted_value"] is None


def test_probability_override_and_reset(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    deal = client.post(API, headers=h, json={"name": "D", "amount": "1000"}).json()
    r = client.patch(f"{API}/{deal['id']}", headers=h, json={"probability": 40}).json()
    assert r["probability"] == 40 and r["probability_overridden"] is True
    assert r["weighted_value"] == "400.00"
    # an overridden probability survives a move between open stages
    moved = client.post(f"{API}/{deal['id']}/stage", headers=h, json={"stage": "proposal"}).json()
    assert moved["probability"] == 40
    reset = client.patch(f"{API}/{deal['id']}", headers=h, json={"probability": None}).json()
    assert reset["probability"] == 50 and reset["probability_overridden"] is False
    assert reset["weighted_value"] == "500.00"


def test_stage_moves_history_and_events(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    account = make_account(db, users.rep.actor)
    db.commit()
    deal = client.post(
        API,
        headers=h,
        json={"name": "Acme", "amount": "50000", "account_id": str(account.id)},
    ).json()
    # pretend the deal entered its stage 3 days ago
    target = DealRepository(db).get(SYSTEM, uuid.UUID(deal["id"]))
    target.stage_entered_at = utcnow() - timedelta(days=3)
    db.commit()
    got = client.get(f"{API}/{deal['id']}", headers=h).json()
    assert got["days_in_stage"] == 3

    r = client.patch(f"{API}/{deal['id']}", headers=h, json={"stage": "proposal"})
    assert r.status_code == 200, r.text
    assert r.json()["probability"] == 50 and r.json()["weighted_value"] == "25000.00"
    assert r.json()["days_in_stage"] == 0
    r = client.post(f"{API}/{deal['id']}/stage", headers=h, json={"stage": "closed_won"})
    assert r.status_code == 200, r.text
    won = r.json()
    assert won["probability"] == 100 and won["closed_at"] is not None
    assert won["weighted_value"] == "50000.00"

    history = client.get(f"{API}/{deal['id']}/stage-history", headers=h).json()
    assert [(c["from_stage"], c["to_stage"]) for c in history] == [
        (None, "prospecting"),
        ("prospecting", "proposal"),
        ("proposal", "closed_won"),
    ]
    assert history[1]["days_in_previous_stage"] == 3
    assert history[1]["probability"] == 50 and history[1]["amount"] == "50000.00"
    assert history[2]["changed_by_id"] == str(users.rep.id)
    events = _events(db, target.id)
    assert events.count("deal.stage_changed") == 2 and "deal.won" in events
    # the stage change shows on the account's timeline too (also_on)
    timeline = client.get(
        "/api/v1/timeline",
        headers=h,
        params={"record_type": "account", "record_id": str(account.id)},
    )
    assert timeline.status_code == 200
    assert "deal.stage_changed" in timeline.text

    # reopening clears closed_at and takes the stage default again
    reopened = client.post(
        f"{API}/{deal['id']}/stage", headers=h, json={"stage": "negotiation"}
    ).json()
    assert reopened["closed_at"] is None and reopened["probability"] == 75


def test_closed_lost_needs_a_reason(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    deal = client.post(API, headers=h, json={"name": "D", "amount": "100"}).json()
    r = client.post(f"{API}/{deal['id']}/stage", headers=h, json={"stage": "closed_lost"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lost_reason"
    r = client.patch(f"{API}/{deal['id']}", headers=h, json={"stage": "closed_lost"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lost_reason"
    r = client.patch(
        f"{API}/{deal['id']}",
        headers=h,
        json={"stage": "closed_lost", "lost_reason": "Went with HubSpot"},
    )
    assert r.status_code == 200, r.text
    lost = r.json()
    assert lost["probability"] == 0 and lost["weighted_value"] == "0.00"
    assert lost["lost_reason"] == "Went with HubSpot" and lost["closed_at"]
    assert "deal.lost" in _events(db, uuid.UUID(lost["id"]))


def test_close_date_pushes(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    start = date.today() + timedelta(days=30)
    deal = client.post(API, headers=h, json={"name": "D", "close_date": str(start)}).json()
    later = client.patch(
        f"{API}/{deal['id']}", headers=h, json={"close_date": str(start + timedelta(days=14))}
    ).json()
    assert later["close_date_pushes"] == 1
    earlier = client.patch(f"{API}/{deal['id']}", headers=h, json={"close_date": str(start)})
    assert earlier.json()["close_date_pushes"] == 1


def test_multi_currency(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    missing = client.post(API, headers=h, json={"name": "D", "amount": "100", "currency": "EUR"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "currency"
    assert "EUR" in missing.json()["detail"]
    set_rate(db, "EUR", "1.10")
    db.commit()
    eur = client.post(
        API,
        headers=h,
        json={"name": "D", "amount": "1000", "currency": "EUR", "stage": "proposal"},
    ).json()
    assert eur["amount_org"] == "1100.00" and eur["weighted_value"] == "550.00"
    # a new rate revalues the open deals in that currency
    r = client.put("/api/v1/exchange-rates/EUR", headers=users.admin.headers, json={"rate": "1.2"})
    assert r.status_code == 200, r.text
    again = client.get(f"{API}/{eur['id']}", headers=h).json()
    assert again["amount_org"] == "1200.00" and again["weighted_value"] == "600.00"
    rates = client.get("/api/v1/exchange-rates", headers=h).json()
    assert {x["currency"] for x in rates} >= {"EUR"}
    denied = client.put("/api/v1/exchange-rates/EUR", headers=h, json={"rate": "2"})
    assert denied.status_code == 403
    org = client.put("/api/v1/exchange-rates/USD", headers=users.admin.headers, json={"rate": "2"})
    assert org.status_code == 422 and org.json()["errors"][0]["field"] == "currency"


def test_validation_names_the_field(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    cases = [
        ({"name": ""}, "name"),
        ({"name": "D", "amount": "-1"}, "amount"),
        ({"name": "D", "amount": "1e20"}, "amount"),
        ({"name": "D", "amount": "NaN"}, "amount"),
        ({"name": "D", "probability": 101}, "probability"),
        ({"name": "D", "currency": "usd"}, "currency"),
        ({"name": "D", "type": "bogus"}, "type"),
        ({"name": "D", "stage": "nowhere"}, "stage"),
        ({"name": "D", "account_id": "00000000-0000-4000-8000-000000000000"}, "account_id"),
        ({"name": "D", "stage": "closed_lost"}, "lost_reason"),
        ({"name": "D", "competitors": ["x" * 101]}, "competitors"),
        ({"name": "D", "unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        r = client.post(API, headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
        fields = [str(e.get("field", "")) for e in r.json()["errors"]]
        assert any(field in f for f in fields), (body, r.json())
    other = make_account(db, users.other_rep.actor)
    db.commit()
    r = client.post(API, headers=h, json={"name": "D", "account_id": str(other.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "account_id"


def test_reassign_and_permissions(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor)
    db.commit()
    r = client.patch(
        f"{API}/{deal.id}", headers=users.rep.headers, json={"owner_id": str(users.teammate.id)}
    )
    assert r.status_code == 403
    r = client.patch(
        f"{API}/{deal.id}",
        headers=users.manager.headers,
        json={"owner_id": str(users.teammate.id)},
    )
    assert r.status_code == 200 and r.json()["owner_id"] == str(users.teammate.id)
    assert client.get(f"{API}/{deal.id}", headers=users.other_rep.headers).status_code == 404
    moved = client.post(
        f"{API}/{deal.id}/stage", headers=users.support.headers, json={"stage": "proposal"}
    )
    assert moved.status_code == 403
