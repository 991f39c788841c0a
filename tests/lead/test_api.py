from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.lead.duplicates import company_key, find_duplicates
from nexa.lead.flows import mark_converted
from nexa.models import Activity
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.lead.test_query_counts import count_queries

URL = "/api/v1/leads"


def timeline(db: Any, record_type: str, record_id: Any) -> set[str]:
    """The events on a record's timeline. (GET /api/v1/timeline does not accept
    record_type=lead yet: activity/endpoints.py RecordType needs "lead".)"""
    stmt = select(Activity.event).where(
        Activity.record_type == record_type, Activity.record_id == uuid.UUID(str(record_id))
    )
    return set(db.scalars(stmt))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def _field(response: Any, status: int) -> str:
    return _problem(response, status)["errors"][0]["field"]  # type: ignore[no-any-return]


def test_crud_normalises_and_defaults(client: Any, users: Any) -> None:
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={
            "first_name": "Sarah",
            "last_name": "Connor",
            "email": " Sarah@Example.COM ",
            "phone": "+1 (415) 555-0100",
            "website": "example.com",
            "country": "us",
            "company": "Cyberdyne",
            "company_size": "51-200",
            "source": "website",
            "tags": ["vip", "vip", "demo"],
        },
    )
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["email"] == "sarah@example.com"
    assert lead["phone"] == "+14155550100"
    assert lead["website"] == "https://example.com"
    assert lead["country"] == "US"
    assert lead["status"] == "new" and lead["status_changed_at"]
    assert lead["owner_id"] == str(users.rep.id)
    assert lead["tags"] == ["vip", "demo"]
    assert lead["full_name"] == "Sarah Connor"
    got = client.get(f"{URL}/{lead['id']}", headers=users.rep.headers)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    # the score is computed (scorecard or model), with its factors; nobody types it in
    assert lead["score"] is not None and lead["score_factors"]
    r = client.patch(f"{URL}/{lead['id']}", headers=users.rep.headers, json={"score": 80})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "score"
    listed = client.get(
        URL, headers=users.rep.headers, params={"filter": f"score:gte:{lead['score']}"}
    )
    assert [i["id"] for i in listed.json()["items"]] == [lead["id"]]
    listed = client.get(URL, headers=users.rep.headers, params={"sort": "-score"})
    assert listed.status_code == 200
    assert client.delete(f"{URL}/{lead['id']}", headers=users.rep.headers).status_code < 300
    assert client.post(f"{URL}/{lead['id']}/restore", headers=users.rep.headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": ""}, "last_name"),
        ({"last_name": "X", "email": "nope"}, "email"),
        ({"last_name": "X", "phone": "abc"}, "phone"),
        ({"last_name": "X", "country": "USA"}, "country"),
        ({"last_name": "X", "company_size": "huge"}, "company_size"),
        ({"last_name": "X", "score": 101}, "score"),
        ({"last_name": "X", "source": "pigeon"}, "source"),
        ({"last_name": "X", "status": "lost"}, "lost_reason"),
        ({"last_name": "X", "status": "converted"}, "status"),
        ({"last_name": "X", "custom_fields": {"nope": 1}}, "custom_fields.nope"),
        ({"last_name": "X", "unknown": 1}, "unknown"),
    ],
)
def test_validation_names_the_field(client: Any, users: Any, body: Any, field: str) -> None:
    assert _field(client.post(URL, headers=users.rep.headers, json=body), 422) == field


def test_status_rules_and_events(client: Any, db: Any, users: Any) -> None:
    lead = client.post(URL, headers=users.rep.headers, json={"last_name": "Flow"}).json()
    path = f"{URL}/{lead['id']}"
    r = client.patch(path, headers=users.rep.headers, json={"status": "contacted"})
    assert r.status_code == 200 and r.json()["last_contacted_at"]
    assert r.json()["status_changed_at"] != lead["status_changed_at"]
    assert _field(client.patch(path, headers=users.rep.headers, json={"status": "lost"}), 422) == (
        "lost_reason"
    )
    r = client.patch(
        path, headers=users.rep.headers, json={"status": "lost", "lost_reason": "No budget"}
    )
    assert r.status_code == 200 and r.json()["lost_reason"] == "No budget"
    r = client.patch(path, headers=users.rep.headers, json={"status": "qualified"})
    assert _field(r, 422) == "status"
    r = client.patch(path, headers=users.rep.headers, json={"status": "new"})
    assert r.status_code == 200 and r.json()["lost_reason"] is None
    r = client.patch(path, headers=users.rep.headers, json={"status": "converted"})
    assert _field(r, 422) == "status"
    kinds = timeline(db, "lead", lead["id"])
    assert {"lead.created", "lead.updated", "lead.status_changed"} <= kinds, kinds


def test_converted_lead_is_locked(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.rep.id)
    account = make_account(db, SYSTEM, owner_id=users.rep.id)
    contact = make_contact(db, SYSTEM, owner_id=users.rep.id, account_id=account.id)
    mark_converted(db, SYSTEM, lead, contact_id=contact.id, account_id=account.id, deal_id=None)
    db.commit()
    path = f"{URL}/{lead.id}"
    r = client.patch(path, headers=users.rep.headers, json={"title": "CEO"})
    problem = _problem(r, 409)
    assert "converted" in problem["detail"] and problem["errors"][0]["field"] == "title"
    r = client.patch(path, headers=users.rep.headers, json={"tags": ["won"], "description": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "converted"
    assert r.json()["converted_contact_id"] == str(contact.id)
    assert "lead.converted" in timeline(db, "contact", contact.id)
    assert "lead.converted" in timeline(db, "lead", lead.id)


def test_a_hidden_email_twin_is_409_without_its_id(client: Any, db: Any, users: Any) -> None:
    """Issue 15, point 11: the rep learns that a lead with this email exists that they cannot
    see, never its id or owner (PRODUCT.md, duplicates)."""
    twin = make_lead(db, owner_id=users.other_rep.id, email="dup@example.com")
    db.commit()
    r = client.post(
        URL, headers=users.rep.headers, json={"last_name": "B", "email": "DUP@example.com"}
    )
    problem = _problem(r, 409)
    assert problem["errors"][0]["field"] == "email"
    assert "existing_id" not in problem
    assert str(twin.id) not in r.text and str(users.other_rep.id) not in r.text
    assert "cannot see" in problem["detail"]


def test_a_visible_email_twin_is_409_with_existing_id(client: Any, db: Any, users: Any) -> None:
    twin = make_lead(db, owner_id=users.rep.id, email="mine@example.com")
    db.commit()
    r = client.post(
        URL, headers=users.rep.headers, json={"last_name": "B", "email": "MINE@example.com"}
    )
    problem = _problem(r, 409)
    assert problem["errors"][0]["field"] == "email"
    assert problem["existing_id"] == str(twin.id)


def test_fuzzy_duplicates_need_allow_duplicates(client: Any, db: Any, users: Any) -> None:
    make_lead(db, owner_id=users.rep.id, first_name="Jonathan", last_name="Smith", company="Acme")
    db.commit()
    body = {"first_name": "Jonathon", "last_name": "Smith", "company": "ACME, Inc."}
    problem = _problem(client.post(URL, headers=users.rep.headers, json=body), 409)
    assert problem["candidates"][0]["record_type"] == "lead"
    assert problem["errors"][0]["field"] == "allow_duplicates"
    r = client.post(URL, headers=users.rep.headers, json={**body, "allow_duplicates": True})
    assert r.status_code == 201, r.text


def test_fuzzy_matches_contacts_by_account_name(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, SYSTEM, owner_id=users.rep.id, name="Globex GmbH")
    make_contact(db, SYSTEM, owner_id=users.rep.id, first_name="Hank", last_name="Scorpio",
                 account_id=account.id)  # fmt: skip
    db.commit()
    body = {"first_name": "H.", "last_name": "Scorpio", "company": "Globex Corp"}
    problem = _problem(client.post(URL, headers=users.rep.headers, json=body), 409)
    assert problem["candidates"][0]["record_type"] == "contact"


def test_duplicates_endpoint_is_scoped(client: Any, db: Any, users: Any) -> None:
    mine = make_lead(db, owner_id=users.rep.id, last_name="Doe", first_name="Jane",
                     company="Initech LLC", email="jane@initech.com")  # fmt: skip
    make_lead(db, owner_id=users.other_rep.id, last_name="Doe", first_name="Janet",
              company="Initech")  # fmt: skip
    db.commit()
    params = {"first_name": "Jane", "last_name": "Doe", "company": "initech"}
    r = client.get(f"{URL}/duplicates", headers=users.rep.headers, params=params)
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["items"]] == [str(mine.id)]
    r = client.get(f"{URL}/duplicates", headers=users.admin.headers, params=params)
    assert len(r.json()["items"]) == 2
    r = client.get(
        f"{URL}/duplicates", headers=users.rep.headers, params={"email": "JANE@initech.com"}
    )
    assert r.json()["items"][0]["reason"] == "same email"


def test_find_duplicates_costs_a_fixed_number_of_queries(db: Any, users: Any) -> None:
    for i in range(30):
        make_lead(db, last_name=f"Person{i}", company="Umbrella Corp")
    db.commit()
    with count_queries() as statements:
        found = find_duplicates(
            db, SYSTEM, email="x@y.com", first_name="A", last_name="Person1", company="Umbrella"
        )
    assert len(statements) <= 4
    assert {c.name for c in found} >= {"Sam Person1"}


def test_company_key() -> None:
    assert company_key("The Acme Corp., Inc.") == "acme"
    assert company_key("Siemens AG") == "siemens"
    assert company_key("") == ""


def test_sources(client: Any, users: Any) -> None:
    r = client.get("/api/v1/lead-sources", headers=users.read_only.headers)
    assert {"website", "referral", "event", "cold_call", "social_media"} <= {
        s["key"] for s in r.json()
    }
    body = {"key": "partner", "label": "Partner"}
    assert (
        client.post("/api/v1/lead-sources", headers=users.rep.headers, json=body).status_code == 403
    )
    assert (
        client.post("/api/v1/lead-sources", headers=users.admin.headers, json=body).status_code
        == 201
    )
    r = client.post("/api/v1/lead-sources", headers=users.admin.headers, json=body)
    assert _field(r, 409) == "key"
    r = client.post(
        "/api/v1/lead-sources", headers=users.admin.headers, json={"key": "A!", "label": "x"}
    )
    assert _field(r, 422) == "key"
    r = client.post(URL, headers=users.rep.headers, json={"last_name": "P", "source": "partner"})
    assert r.status_code == 201
