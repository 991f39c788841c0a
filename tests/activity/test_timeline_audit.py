"""/api/v1/timeline (for whoever can read the record) and /api/v1/audit (admins)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import EventPayload, declare, publish
from tests.factories.account import make_account


@dataclass(frozen=True, kw_only=True)
class SecretNote(EventPayload):
    name: str


declare(
    "test.secret_note",
    payload=SecretNote,
    permission="audit:read",
    description="Only auditors may see this (tests)",
)


def _timeline(client: Any, person: Any, record_type: str, record_id: Any, **params: Any) -> Any:
    return client.get(
        "/api/v1/timeline",
        headers=person.headers,
        params={"record_type": record_type, "record_id": str(record_id), **params},
    )


def _all_pages(
    client: Any, url: str, headers: dict[str, str], params: dict[str, Any]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = client.get(
            url, headers=headers, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_account_timeline_is_newest_first_and_pages_with_a_cursor(client: Any, users: Any) -> None:
    rep = users.rep.headers
    acc = client.post("/api/v1/accounts", headers=rep, json={"name": "Timeline Corp"}).json()
    for industry in ("Software", "Hardware", "Energy"):
        assert (
            client.patch(
                f"/api/v1/accounts/{acc['id']}", headers=rep, json={"industry": industry}
            ).status_code
            == 200
        )

    r = _timeline(client, users.rep, "account", acc["id"])
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["event"] for i in items] == ["account.updated"] * 3 + ["account.created"]
    assert [i["data"]["changes"]["industry"][1] for i in items[:3]] == [
        "Energy",
        "Hardware",
        "Software",
    ]
    assert items[-1]["actor_id"] == str(users.rep.id)
    assert "Timeline Corp" in items[-1]["summary"]
    assert r.json()["next_cursor"] is None

    paged = _all_pages(
        client,
        "/api/v1/timeline",
        rep,
        {"record_type": "account", "record_id": acc["id"], "limit": 1},
    )
    assert [i["id"] for i in paged] == [i["id"] for i in items]
    first = _timeline(client, users.rep, "account", acc["id"], limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]


def test_timeline_needs_read_access_to_the_record(client: Any, db: Any, users: Any) -> None:
    theirs = make_account(db, users.teammate.actor, name="Teammate's Account")
    db.commit()
    assert _timeline(client, users.rep, "account", theirs.id).status_code == 404
    assert _timeline(client, users.other_rep, "account", theirs.id).status_code == 404
    assert _timeline(client, users.manager, "account", theirs.id).status_code == 200
    assert _timeline(client, users.other_manager, "account", theirs.id).status_code == 404
    assert _timeline(client, users.admin, "account", theirs.id).status_code == 200
    assert _timeline(client, users.admin, "account", uuid.uuid4()).status_code == 404

    bad_type = _timeline(client, users.admin, "spaceship", theirs.id)
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "record_type"
    bad_cursor = _timeline(client, users.admin, "account", theirs.id, cursor="not-a-cursor")
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["field"] == "cursor"
    no_id = client.get(
        "/api/v1/timeline", headers=users.admin.headers, params={"record_type": "account"}
    )
    assert no_id.status_code == 422


def test_a_binned_record_keeps_its_history(client: Any, users: Any) -> None:
    rep = users.rep.headers
    acc = client.post("/api/v1/accounts", headers=rep, json={"name": "Binned Ltd"}).json()
    assert client.delete(f"/api/v1/accounts/{acc['id']}", headers=rep).status_code == 204
    r = _timeline(client, users.rep, "account", acc["id"])
    assert r.status_code == 200
    assert [i["event"] for i in r.json()["items"]] == ["account.deleted", "account.created"]
    assert _timeline(client, users.other_rep, "account", acc["id"]).status_code == 404


def test_contact_timeline(client: Any, db: Any, users: Any) -> None:
    from tests.factories.contact import make_contact

    contact = make_contact(db, users.rep.actor, first_name="Tom", last_name="Smith")
    db.commit()
    assert (
        client.patch(
            f"/api/v1/contacts/{contact.id}", headers=users.rep.headers, json={"title": "CTO"}
        ).status_code
        == 200
    )
    r = _timeline(client, users.rep, "contact", contact.id)
    assert r.status_code == 200
    assert [i["event"] for i in r.json()["items"]] == ["contact.updated", "contact.created"]
    assert _timeline(client, users.other_rep, "contact", contact.id).status_code == 404


def test_user_and_team_timelines_follow_user_and_team_visibility(client: Any, users: Any) -> None:
    renamed = client.patch(
        f"/api/v1/users/{users.teammate.id}",
        headers=users.admin.headers,
        json={"full_name": "Renamed Teammate"},
    )
    assert renamed.status_code == 200
    r = _timeline(client, users.manager, "user", users.teammate.id)
    assert r.status_code == 200
    assert [i["event"] for i in r.json()["items"]][:1] == ["user.updated"]
    assert _timeline(client, users.other_manager, "user", users.teammate.id).status_code == 404
    assert _timeline(client, users.rep, "user", users.teammate.id).status_code == 403
    east = users.manager.user.team_id
    assert _timeline(client, users.manager, "team", east).status_code == 200
    assert _timeline(client, users.other_manager, "team", east).status_code == 404


def test_entries_of_events_the_reader_may_not_see_are_left_out(
    client: Any, db: Any, users: Any
) -> None:
    acc = make_account(db, users.rep.actor, name="Secretive Inc")
    publish(
        db,
        SYSTEM,
        "test.secret_note",
        record_type="account",
        record_id=acc.id,
        payload=SecretNote(name="x"),
    )
    db.commit()
    rep_view = [i["event"] for i in _timeline(client, users.rep, "account", acc.id).json()["items"]]
    admin_view = [
        i["event"] for i in _timeline(client, users.admin, "account", acc.id).json()["items"]
    ]
    assert rep_view == ["account.created"]
    assert admin_view == ["test.secret_note", "account.created"]


def test_audit_log_is_for_admins_with_filters_and_pages(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    start = utcnow()
    acc = client.post(
        "/api/v1/accounts", headers=users.rep.headers, json={"name": "Audited Co"}
    ).json()
    client.patch(
        f"/api/v1/accounts/{acc['id']}",
        headers=users.rep.headers,
        json={"industry": "Retail", "employees": 12},
    )
    client.patch(f"/api/v1/accounts/{acc['id']}", headers=h, json={"industry": "Energy"})
    client.put("/api/v1/settings/visibility", headers=h, json={"contact": "public_read"})

    for person in (users.manager, users.rep, users.support, users.marketer, users.read_only):
        assert client.get("/api/v1/audit", headers=person.headers).status_code == 403

    rows = client.get("/api/v1/audit", headers=h, params={"record_id": acc["id"]}).json()["items"]
    assert [r["event"] for r in rows][-1] == "account.created"
    assert rows[0]["event"] == "account.updated" and rows[0]["field"] == "industry"
    assert (rows[0]["old_value"], rows[0]["new_value"], rows[0]["actor_id"]) == (
        "Retail",
        "Energy",
        str(users.admin.id),
    )
    assert len(rows) == 4  # created + industry + employees + industry

    industry = client.get(
        "/api/v1/audit", headers=h, params={"record_id": acc["id"], "field": "industry"}
    ).json()["items"]
    assert [(r["old_value"], r["new_value"]) for r in industry] == [
        ("Retail", "Energy"),
        (None, "Retail"),
    ]
    by_rep = client.get(
        "/api/v1/audit", headers=h, params={"actor_id": str(users.rep.id), "record_type": "account"}
    )
    assert {r["record_id"] for r in by_rep.json()["items"]} == {acc["id"]}
    assert {r["actor_id"] for r in by_rep.json()["items"]} == {str(users.rep.id)}
    settings = client.get("/api/v1/audit", headers=h, params={"record_type": "settings"}).json()[
        "items"
    ]
    assert [(r["field"], r["new_value"], r["actor_name"]) for r in settings] == [
        ("visibility.contact", "public_read", users.admin.user.full_name)
    ]
    future = (utcnow() + timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/audit", headers=h, params={"since": future}).json()["items"] == []
    recent = _all_pages(client, "/api/v1/audit", h, {"since": start.isoformat(), "limit": 2})
    assert len(recent) == len({r["id"] for r in recent}) >= 5
    times = [r["occurred_at"] for r in recent]
    assert times == sorted(times, reverse=True)
    assert client.get("/api/v1/audit", headers=h, params={"since": "yesterday"}).status_code == 422
