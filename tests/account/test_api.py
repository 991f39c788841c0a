from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from nexa.core.audit import AuditEntry
from nexa.models import Activity, Contact
from tests.factories.account import make_account


def test_create_normalises_and_numbers(client: Any, users: Any) -> None:
    r = client.post(
        "/api/v1/accounts",
        headers=users.admin.headers,
        json={
            "name": "Acme Corp",
            "website": "acme.com",
            "phone": "(415) 555-0100",
            "annual_revenue": {"amount": "10000000", "currency": "USD"},
            "tier": "enterprise",
            "billing_address": {"city": "Boston", "country": "US"},
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["website"] == "https://acme.com"
    assert body["phone"] == "+14155550100"
    assert body["account_number"].startswith("ACC-")
    assert body["owner_id"] == str(users.admin.id)
    assert r.headers["etag"] == '"1"'


def test_name_unique_among_live_records_and_restore_clash(client: Any, users: Any) -> None:
    h = users.admin.headers
    first = client.post("/api/v1/accounts", headers=h, json={"name": "Globex"}).json()
    dup = client.post("/api/v1/accounts", headers=h, json={"name": "globex"})
    assert dup.status_code == 409
    assert dup.headers["content-type"] == "application/problem+json"
    assert dup.json()["errors"][0]["field"] == "name"
    assert client.delete(f"/api/v1/accounts/{first['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/accounts/{first['id']}", headers=h).status_code == 404
    second = client.post("/api/v1/accounts", headers=h, json={"name": "Globex"})
    assert second.status_code == 201
    clash = client.post(f"/api/v1/accounts/{first['id']}/restore", headers=h)
    assert clash.status_code == 409
    client.patch(f"/api/v1/accounts/{second.json()['id']}", headers=h, json={"name": "Globex 2"})
    restored = client.post(f"/api/v1/accounts/{first['id']}/restore", headers=h)
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None


def test_hierarchy_rollup_and_cycle_prevention(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    parent = make_account(
        db,
        users.admin.actor,
        name="Acme Corporation",
        employees=100,
        annual_revenue={"amount": "10000000", "currency": "USD"},
    )
    kids = [
        make_account(
            db,
            users.admin.actor,
            name=f"Acme {r}",
            parent_id=parent.id,
            employees=10,
            annual_revenue={"amount": "1000000", "currency": "USD"},
        )
        for r in ("USA", "UK", "APAC")
    ]
    grandchild = make_account(
        db, users.admin.actor, name="Acme UK North", parent_id=kids[1].id, employees=5
    )
    db.add(
        Contact(
            first_name="Tom", last_name="Smith", account_id=grandchild.id, owner_id=users.admin.id
        )
    )
    db.flush()
    r = client.get(f"/api/v1/accounts/{parent.id}/rollup", headers=h).json()
    assert r["child_accounts"] == 3
    assert r["descendant_accounts"] == 4
    assert r["contacts_rolled_up"] == 1
    assert r["employees_rolled_up"] == 135
    assert r["annual_revenue_rolled_up"] == {"amount": "13000000.00", "currency": "USD"}
    tree = client.get(f"/api/v1/accounts/{parent.id}/tree", headers=h).json()
    assert [c["name"] for c in tree["children"]] == ["Acme APAC", "Acme UK", "Acme USA"]
    cycle = client.patch(
        f"/api/v1/accounts/{parent.id}", headers=h, json={"parent_id": str(grandchild.id)}
    )
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["field"] == "parent_id"
    self_parent = client.patch(
        f"/api/v1/accounts/{parent.id}", headers=h, json={"parent_id": str(parent.id)}
    )
    assert self_parent.status_code == 422


def test_etag_if_match_and_audit_timeline(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    acc = client.post("/api/v1/accounts", headers=h, json={"name": "Initech"}).json()
    ok = client.patch(
        f"/api/v1/accounts/{acc['id']}",
        headers={**h, "If-Match": '"1"'},
        json={"industry": "Software"},
    )
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = client.patch(
        f"/api/v1/accounts/{acc['id']}",
        headers={**h, "If-Match": '"1"'},
        json={"industry": "Hardware"},
    )
    assert stale.status_code == 412
    stale_delete = client.delete(f"/api/v1/accounts/{acc['id']}", headers={**h, "If-Match": '"1"'})
    assert stale_delete.status_code == 412
    audit = db.scalars(select(AuditEntry).where(AuditEntry.field == "industry")).all()
    assert [(a.old_value, a.new_value, a.actor_id) for a in audit] == [
        (None, "Software", users.admin.id)
    ]
    timeline = db.scalars(select(Activity).where(Activity.record_id == uuid.UUID(acc["id"]))).all()
    assert {t.event for t in timeline} >= {"account.created", "account.updated"}


def test_filter_sort_cursor_and_fields(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    for i in range(7):
        make_account(db, users.admin.actor, name=f"Zeta {i}", employees=i * 10)
    seen = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "filter": ["name:starts_with:zeta", "employees:gte:20"],
            "sort": "-employees",
            "limit": 2,
        }
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/accounts", headers=h, params=params).json()
        seen += [i["employees"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [60, 50, 40, 30, 20]
    only = client.get("/api/v1/accounts", headers=h, params={"fields": "name", "limit": 1}).json()[
        "items"
    ][0]
    assert set(only) == {"id", "name"}
    bad = client.get("/api/v1/accounts", headers=h, params={"filter": "employees:gte:lots"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter[employees]"
    bad_sort = client.get("/api/v1/accounts", headers=h, params={"sort": "password"})
    assert bad_sort.status_code == 422 and bad_sort.json()["errors"][0]["field"] == "sort"


def test_mass_assignment_is_rejected(client: Any, users: Any) -> None:
    h = users.rep.headers
    for field, value in [
        ("role", "admin"),
        ("is_admin", True),
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("account_number", "ACC-1"),
    ]:
        r = client.post("/api/v1/accounts", headers=h, json={"name": f"Mass {field}", field: value})
        assert r.status_code == 422, field
        assert r.json()["errors"][0]["field"] == field
    other = client.post(
        "/api/v1/accounts", headers=h, json={"name": "Steal", "owner_id": str(users.other_rep.id)}
    )
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "owner_id"
    mine = client.post("/api/v1/accounts", headers=h, json={"name": "Mine"}).json()
    move = client.patch(
        f"/api/v1/accounts/{mine['id']}", headers=h, json={"owner_id": str(users.teammate.id)}
    )
    assert move.status_code == 403
    by_manager = client.patch(
        f"/api/v1/accounts/{mine['id']}",
        headers=users.manager.headers,
        json={"owner_id": str(users.teammate.id)},
    )
    assert by_manager.status_code == 200
    outside_team = client.patch(
        f"/api/v1/accounts/{mine['id']}",
        headers=users.manager.headers,
        json={"owner_id": str(users.other_rep.id)},
    )
    assert outside_team.status_code == 403


def test_a_role_without_create_is_refused_by_name(client: Any, users: Any) -> None:
    refused = client.post("/api/v1/accounts", headers=users.support.headers, json={"name": "No"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "you may not create accounts"
