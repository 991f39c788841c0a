"""The enrichment and next-best-action API: answers, errors and who may see what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import Task
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead


def test_preview(client: Any, users: Any) -> None:
    r = client.get(
        "/api/v1/enrichment/preview",
        headers=users.rep.headers,
        params={
            "email": "ceo@globex.example",
            "phone": "030 901820",
            "country": "de",
            "title": "Geschäftsführerin",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["email_kind"] == "business" and body["company_guess"] == "Globex"
    assert (body["phone_country"], body["phone_line_type"]) == ("DE", "fixed_line")
    assert (body["seniority"], body["department"]) == ("c_level", "executive")
    assert body["matched_account"] is None


def test_preview_refuses_a_bad_country(client: Any, users: Any) -> None:
    r = client.get(
        "/api/v1/enrichment/preview", headers=users.rep.headers, params={"country": "1x"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "country"


def test_lead_enrichment_and_rerun(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="pat@initech.example", title="Head of IT")
    db.commit()
    r = client.get(f"/api/v1/leads/{lead.id}/enrichment", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    assert r.json()["seniority"] == "director" and r.json()["department"] == "it"
    account = make_account(db, users.rep.actor, name="Initech", website="initech.example")
    db.commit()
    # a new account does not change old leads by itself; enrich again links it
    r = client.post(f"/api/v1/leads/{lead.id}/enrich", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    assert r.json()["matched_account"] == {"id": str(account.id), "name": "Initech"}
    assert r.json()["changed"] == ["matched_account_id"]
    assert r.json()["company"] == "Initech"  # the guess stays: filled once, kept


def test_a_rep_cannot_see_another_reps_lead(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.other_rep.actor, status="qualified")
    db.commit()
    headers = users.rep.headers
    assert client.get(f"/api/v1/leads/{lead.id}/next-actions", headers=headers).status_code == 404
    r = client.post(f"/api/v1/leads/{lead.id}/next-actions/schedule_demo/task", headers=headers)
    assert r.status_code == 404
    assert client.post(f"/api/v1/leads/{lead.id}/enrich", headers=headers).status_code == 404
    assert client.get(f"/api/v1/leads/{lead.id}/enrichment", headers=headers).status_code == 404


def test_lead_next_actions_and_one_click_task(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, status="qualified", title="CFO")
    db.commit()
    r = client.get(f"/api/v1/leads/{lead.id}/next-actions", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["key"] for i in items] == ["schedule_demo", "bring_in_executive"]
    assert items[0]["reason"] == "Qualified and no meeting booked yet"
    assert items[0]["task_id"] is None
    r = client.post(
        f"/api/v1/leads/{lead.id}/next-actions/schedule_demo/task", headers=users.rep.headers
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["title"] == "Schedule a demo" and task["related_id"] == str(lead.id)
    assert task["origin"] == "next_action:schedule_demo"
    again = client.post(
        f"/api/v1/leads/{lead.id}/next-actions/schedule_demo/task", headers=users.rep.headers
    )
    assert again.status_code == 409 and again.json()["task_id"] == task["id"]
    tasks = db.scalars(unscoped(select(Task).where(Task.related_id == lead.id))).all()
    assert len(tasks) == 1
    listed = client.get(f"/api/v1/leads/{lead.id}/next-actions", headers=users.rep.headers)
    assert listed.json()["items"][0]["task_id"] == task["id"]


def test_bad_action_keys(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    base = f"/api/v1/leads/{lead.id}/next-actions"
    assert client.post(f"{base}/fly_away/task", headers=users.rep.headers).status_code == 404
    assert client.post(f"{base}/Bad-Key!/task", headers=users.rep.headers).status_code == 422
    assert client.post(f"{base}/send_proposal/task", headers=users.rep.headers).status_code == 404
    assert client.post(f"{base}/schedule_demo/task", headers=users.rep.headers).status_code == 409


def test_deal_and_contact_next_actions(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, stage="proposal")
    account = make_account(db, users.rep.actor, type="customer")
    contact = make_contact(db, users.rep.actor, account_id=account.id)
    db.commit()
    r = client.get(f"/api/v1/deals/{deal.id}/next-actions", headers=users.rep.headers)
    assert r.status_code == 200 and r.json()["items"][0]["key"] == "send_proposal"
    r = client.post(
        f"/api/v1/deals/{deal.id}/next-actions/send_proposal/task", headers=users.rep.headers
    )
    assert r.status_code == 201 and r.json()["priority"] == "high"
    r = client.get(f"/api/v1/contacts/{contact.id}/next-actions", headers=users.rep.headers)
    assert [i["key"] for i in r.json()["items"]] == ["open_deal"]
    r = client.post(
        f"/api/v1/contacts/{contact.id}/next-actions/open_deal/task", headers=users.rep.headers
    )
    assert r.status_code == 201 and r.json()["related_type"] == "contact"
    other = client.get(f"/api/v1/deals/{deal.id}/next-actions", headers=users.other_rep.headers)
    assert other.status_code == 404
