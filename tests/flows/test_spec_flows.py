"""The spec's two real-world flows, replayed through the HTTP API
(nexa-crm-service-flows.md: Leads "Real-World Flow Example" day 1–7, without the AI parts,
and Deals "Deal Lifecycle" week 1–8), asserting every record, link, stage history row,
roll-up and timeline entry the spec names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import ListMember, RecordList, Task


def timeline(client: Any, headers: dict[str, str], record_type: str, record_id: str) -> list[str]:
    response = client.get(
        "/api/v1/timeline",
        headers=headers,
        params={"record_type": record_type, "record_id": record_id, "limit": 200},
    )
    assert response.status_code == 200, response.text
    return [entry["event"] for entry in response.json()["items"]]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_lead_journey_then_deal_lifecycle(client: Any, db: Any, users: Any) -> None:
    admin, john = users.admin.headers, users.rep.headers

    # ---- Lead, day 1 ------------------------------------------------------------------------
    # 1. Sarah fills out the "Request Demo" form on the website
    form = ok(
        client.post(
            "/api/v1/web-forms",
            headers=admin,
            json={
                "name": "Request Demo",
                "slug": "request-demo",
                "source": "referral",
                "form_type": "demo_request",
                "assign_to_id": str(users.rep.id),  # 4. routed to senior rep John
                "fields": [
                    {"key": "first_name", "label": "First name", "required": True},
                    {"key": "last_name", "label": "Last name", "required": True},
                    {"key": "email", "label": "Work email", "type": "email", "required": True},
                    {"key": "company", "label": "Company", "required": True},
                    {"key": "title", "label": "Job title"},
                ],
            },
        ),
        201,
    )
    submitted = client.post(
        f"/forms/{form['slug']}",
        json={
            "first_name": "Sarah",
            "last_name": "Chen",
            "email": "sarah.chen@acme-corp.example",
            "company": "Acme Corp",
            "title": "VP Operations",
        },
    )
    assert submitted.status_code in (200, 201, 303), submitted.text
    # 2. the lead is auto-created, owned by John
    leads = ok(
        client.get(
            "/api/v1/leads",
            headers=john,
            params={"filter": "email:eq:sarah.chen@acme-corp.example"},
        )
    )["items"]
    assert len(leads) == 1
    lead = leads[0]
    assert (lead["status"], lead["source"], lead["owner_id"]) == (
        "new",
        "referral",
        str(users.rep.id),
    )
    assert lead["web_form_id"] == form["id"]
    # 5. John receives a notification
    notes = ok(client.get("/api/v1/notifications", headers=john))["items"]
    assert any(n["record_id"] == lead["id"] for n in notes)
    # 6. John sends a personalised email (logged; the email module logs it by itself later)
    ok(client.patch(f"/api/v1/leads/{lead['id']}", headers=john, json={"status": "contacted"}))

    # ---- Day 3: Sarah responds, John books the meeting ------------------------------------
    ok(
        client.post(
            "/api/v1/calls",
            headers=john,
            json={
                "subject": "Sarah replied: interested in a demo",
                "direction": "inbound",
                "outcome": "connected",
                "related_type": "lead",
                "related_id": lead["id"],
                "started_at": datetime.now(UTC).isoformat(),
                "duration_seconds": 300,
            },
        ),
        201,
    )
    start = datetime.now(UTC) + timedelta(days=4)
    demo = ok(
        client.post(
            "/api/v1/meetings",
            headers=john,
            json={
                "title": "Nexa demo for Acme Corp",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=45)).isoformat(),
                "related_type": "lead",
                "related_id": lead["id"],
                "attendees": [{"email": "sarah.chen@acme-corp.example", "name": "Sarah Chen"}],
            },
        ),
        201,
    )
    ics = client.get(f"/api/v1/meetings/{demo['id']}/ics", headers=john)
    assert ics.status_code == 200 and "BEGIN:VEVENT" in ics.text

    # ---- Day 7: demo done, BANT qualified, convert ------------------------------------------
    ok(
        client.patch(
            f"/api/v1/meetings/{demo['id']}",
            headers=john,
            json={"status": "completed", "outcome": "Budget, authority, need, timeline: yes"},
        )
    )
    ok(client.patch(f"/api/v1/leads/{lead['id']}", headers=john, json={"status": "qualified"}))
    preview = ok(client.post(f"/api/v1/leads/{lead['id']}/convert/preview", headers=john, json={}))
    assert preview["create_contact"] and preview["create_account"] and preview["create_deal"]
    close = date.today() + timedelta(days=90)
    converted = ok(
        client.post(
            f"/api/v1/leads/{lead['id']}/convert",
            headers=john,
            json={
                "deal_name": "Acme Corp - Enterprise Plan",
                "deal_amount": "50000",
                "deal_stage": "qualification",
                "deal_close_date": close.isoformat(),
            },
        )
    )
    contact, account, deal = converted["contact"], converted["account"], converted["deal"]
    assert (contact["first_name"], contact["last_name"]) == ("Sarah", "Chen")
    assert contact["email"] == "sarah.chen@acme-corp.example"
    assert contact["account_id"] == account["id"]
    assert account["name"] == "Acme Corp"
    assert converted["lead"]["status"] == "converted"  # 14. archived as converted
    assert converted["lead"]["converted_contact_id"] == contact["id"]
    assert converted["lead"]["converted_account_id"] == account["id"]
    assert converted["lead"]["converted_deal_id"] == deal["id"]
    again = client.post(f"/api/v1/leads/{lead['id']}/convert", headers=john, json={})
    assert again.status_code == 409  # converting twice is refused
    lead_events = timeline(client, john, "lead", lead["id"])
    for event in (
        "lead.created",
        "lead.status_changed",
        "call.created",
        "meeting.created",
        "lead.converted",
    ):
        assert event in lead_events, event

    # ---- Deal, week 1: created from the lead ------------------------------------------------
    assert deal["name"] == "Acme Corp - Enterprise Plan"
    assert Decimal(deal["amount"]) == 50000
    assert deal["close_date"] == close.isoformat()
    assert (deal["stage"], deal["probability"]) == ("qualification", 25)
    assert Decimal(deal["weighted_value"]) == Decimal("12500")
    assert deal["account_id"] == account["id"] and deal["primary_contact_id"] == contact["id"]
    deal_id = deal["id"]

    # ---- Week 2: discovery call, BANT, move to proposal -------------------------------------
    ok(
        client.post(
            "/api/v1/meetings",
            headers=john,
            json={
                "title": "Discovery call with Sarah",
                "starts_at": datetime.now(UTC).isoformat(),
                "ends_at": (datetime.now(UTC) + timedelta(minutes=30)).isoformat(),
                "related_type": "deal",
                "related_id": deal_id,
                "attendees": [{"contact_id": contact["id"]}],
                "status": "completed",
            },
        ),
        201,
    )
    deal = ok(
        client.post(f"/api/v1/deals/{deal_id}/stage", headers=john, json={"stage": "proposal"})
    )
    assert (deal["probability"], Decimal(deal["weighted_value"])) == (50, Decimal("25000"))

    # ---- Week 4: quote, sent; follow-up task ------------------------------------------------
    quote = ok(
        client.post(
            "/api/v1/quotes",
            headers=john,
            json={
                "deal_id": deal_id,
                "line_items": [
                    {"name": "Enterprise plan (annual)", "quantity": "1", "unit_price": "50000"}
                ],
            },
        ),
        201,
    )
    assert quote["number"].startswith("Q-") and Decimal(quote["total"]) == 50000
    quote = ok(client.post(f"/api/v1/quotes/{quote['id']}/send", headers=john))
    assert quote["status"] == "sent"
    pdf = client.get(f"/api/v1/quotes/{quote['id']}/pdf", headers=john)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ok(
        client.post(
            "/api/v1/tasks",
            headers=john,
            json={
                "title": "Follow-up call with Sarah about the proposal",
                "due_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                "related_type": "deal",
                "related_id": deal_id,
            },
        ),
        201,
    )

    # ---- Week 6: discount, competitor, negotiation ------------------------------------------
    deal = ok(
        client.patch(
            f"/api/v1/deals/{deal_id}",
            headers=john,
            json={"amount": "45000", "competitors": ["HubSpot"]},
        )
    )
    ok(
        client.post(
            "/api/v1/notes",
            headers=john,
            json={"body": "Comparing vs HubSpot", "related_type": "deal", "related_id": deal_id},
        ),
        201,
    )
    deal = ok(
        client.post(f"/api/v1/deals/{deal_id}/stage", headers=john, json={"stage": "negotiation"})
    )
    assert (deal["probability"], Decimal(deal["weighted_value"])) == (75, Decimal("33750"))
    assert deal["competitors"] == ["HubSpot"]

    # ---- Week 8: closed won -----------------------------------------------------------------
    deal = ok(
        client.post(f"/api/v1/deals/{deal_id}/stage", headers=john, json={"stage": "closed_won"})
    )
    assert (deal["stage"], deal["probability"]) == ("closed_won", 100)
    assert deal["closed_at"] is not None
    # account type → customer
    assert ok(client.get(f"/api/v1/accounts/{account['id']}", headers=john))["type"] == "customer"
    # onboarding tasks
    onboarding = db.scalars(
        unscoped(select(Task).where(Task.related_id == _uuid(deal_id), Task.origin == "onboarding"))
    ).all()
    assert len(onboarding) >= 3
    assert all(t.owner_id == users.rep.id for t in onboarding)
    # an order
    orders = ok(
        client.get("/api/v1/orders", headers=john, params={"filter": f"deal_id:eq:{deal_id}"})
    )["items"]
    assert len(orders) == 1 and Decimal(orders[0]["total"]) == 45000
    # the customer-success handoff list
    handoff = db.scalars(
        unscoped(select(RecordList).where(RecordList.system_key == "cs_handoff"))
    ).one()
    member = db.scalars(
        select(ListMember).where(
            ListMember.list_id == handoff.id, ListMember.record_id == _uuid(account["id"])
        )
    ).first()
    assert member is not None
    # stage history: created in qualification → proposal → negotiation → closed won
    history = ok(client.get(f"/api/v1/deals/{deal_id}/stage-history", headers=john))
    moves = [(h["from_stage"], h["to_stage"]) for h in history]
    assert moves == [
        (None, "qualification"),
        ("qualification", "proposal"),
        ("proposal", "negotiation"),
        ("negotiation", "closed_won"),
    ]
    assert all(h["changed_by_id"] == str(users.rep.id) for h in history)
    # roll-up on the account
    rollup = ok(client.get(f"/api/v1/accounts/{account['id']}/rollup", headers=john))
    assert Decimal(rollup["closed_won_total"]) == 45000
    assert Decimal(rollup["open_pipeline"]) == 0
    # the timelines show it all
    deal_events = timeline(client, john, "deal", deal_id)
    for event in (
        "deal.created",
        "meeting.created",
        "deal.stage_changed",
        "quote.created",
        "quote.sent",
        "task.created",
        "note.created",
        "deal.updated",
        "deal.won",
        "order.created",
    ):
        assert event in deal_events, event
    account_events = timeline(client, admin, "account", account["id"])
    assert "account.updated" in account_events  # type → customer
    assert "list.members_added" in account_events  # handoff list


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)
