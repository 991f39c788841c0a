"""/api/v1/teams over real HTTP."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from nexa.core.audit import AuditEntry
from nexa.models import Team
from tests.factories.user import make_team


def _team_ids(users: Any) -> dict[str, uuid.UUID]:
    east = users.manager.user.team_id
    west = users.other_manager.user.team_id
    return {"east": east, "west": west}


def test_admin_sees_all_manager_their_tree_others_403(client: Any, db: Any, users: Any) -> None:
    ids = _team_ids(users)
    below_east = make_team(db, f"East North {uuid.uuid4().hex[:6]}", db.get(Team, ids["east"]))
    db.commit()
    everything = client.get("/api/v1/teams", headers=users.admin.headers)
    assert everything.status_code == 200
    seen = {t["id"] for t in everything.json()}
    assert {str(ids["east"]), str(ids["west"]), str(below_east.id)} <= seen

    mine = client.get("/api/v1/teams", headers=users.manager.headers).json()
    assert {t["id"] for t in mine} == {str(ids["east"]), str(below_east.id)}
    east = next(t for t in mine if t["id"] == str(ids["east"]))
    assert east["manager_id"] == str(users.manager.id)
    assert east["member_count"] == 3  # manager, rep, teammate

    assert (
        client.get(f"/api/v1/teams/{ids['east']}", headers=users.manager.headers).status_code == 200
    )
    assert (
        client.get(f"/api/v1/teams/{ids['west']}", headers=users.manager.headers).status_code == 404
    )
    assert (
        client.get(f"/api/v1/teams/{ids['west']}", headers=users.admin.headers).status_code == 200
    )
    for person in (users.rep, users.support, users.marketer, users.read_only):
        assert client.get("/api/v1/teams", headers=person.headers).status_code == 403
        assert client.get(f"/api/v1/teams/{ids['east']}", headers=person.headers).status_code == 403


def test_create_with_unique_name_parent_and_manager(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    ids = _team_ids(users)
    r = client.post(
        "/api/v1/teams",
        headers=h,
        json={
            "name": "Enterprise Sales",
            "parent_id": str(ids["east"]),
            "manager_id": str(users.teammate.id),
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["parent_id"] == str(ids["east"]) and body["manager_id"] == str(users.teammate.id)
    assert body["member_count"] == 0 and r.headers["etag"] == '"1"'
    # the new sub-team is now in the east manager's tree
    assert (
        client.get(f"/api/v1/teams/{body['id']}", headers=users.manager.headers).status_code == 200
    )

    dup = client.post("/api/v1/teams", headers=h, json={"name": "enterprise SALES"})
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "name"
    no_parent = client.post(
        "/api/v1/teams", headers=h, json={"name": "Orphans", "parent_id": str(uuid.uuid4())}
    )
    assert no_parent.status_code == 422 and no_parent.json()["errors"][0]["field"] == "parent_id"
    no_manager = client.post(
        "/api/v1/teams", headers=h, json={"name": "Headless", "manager_id": str(uuid.uuid4())}
    )
    assert no_manager.status_code == 422 and no_manager.json()["errors"][0]["field"] == "manager_id"
    empty = client.post("/api/v1/teams", headers=h, json={"name": ""})
    assert empty.status_code == 422
    extra = client.post("/api/v1/teams", headers=h, json={"name": "Extra", "members": []})
    assert extra.status_code == 422
    assert (
        client.post(
            "/api/v1/teams", headers=users.manager.headers, json={"name": "Mine"}
        ).status_code
        == 403
    )


def test_patch_prevents_cycles_and_records_changes(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    ids = _team_ids(users)
    east = db.get(Team, ids["east"])
    parent_id = east.parent_id
    child = make_team(db, f"East child {uuid.uuid4().hex[:6]}", east)
    grandchild = make_team(db, f"East grandchild {uuid.uuid4().hex[:6]}", child)
    db.commit()

    for new_parent in (east.id, child.id, grandchild.id):
        r = client.patch(f"/api/v1/teams/{east.id}", headers=h, json={"parent_id": str(new_parent)})
        assert r.status_code == 422, new_parent
        assert r.json()["errors"][0]["field"] == "parent_id"
    assert db.get(Team, east.id).parent_id == parent_id

    moved = client.patch(
        f"/api/v1/teams/{grandchild.id}",
        headers=h,
        json={"parent_id": str(ids["west"]), "name": "Now in the west"},
    )
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["parent_id"] == str(ids["west"]) and moved.json()["name"] == "Now in the west"
    )
    assert moved.headers["etag"] == '"2"'
    top = client.patch(f"/api/v1/teams/{child.id}", headers=h, json={"parent_id": None})
    assert top.status_code == 200 and top.json()["parent_id"] is None

    clash = client.patch(
        f"/api/v1/teams/{child.id}",
        headers=h,
        json={"name": db.get(Team, ids["west"]).name.upper()},
    )
    assert clash.status_code == 409
    renamed_case = client.patch(
        f"/api/v1/teams/{child.id}", headers=h, json={"name": child.name.upper()}
    )
    assert renamed_case.status_code == 200
    stale = client.patch(
        f"/api/v1/teams/{child.id}", headers={**h, "If-Match": '"1"'}, json={"name": "Stale"}
    )
    assert stale.status_code == 412
    assert (
        client.patch(
            f"/api/v1/teams/{ids['east']}",
            headers=users.manager.headers,
            json={"name": "Managers cannot"},
        ).status_code
        == 403
    )

    audit = db.scalars(
        select(AuditEntry).where(
            AuditEntry.record_id == grandchild.id, AuditEntry.event == "team.updated"
        )
    ).all()
    assert {a.field: a.new_value for a in audit} == {
        "parent_id": str(ids["west"]),
        "name": "Now in the west",
    }
    assert {a.actor_id for a in audit} == {users.admin.id}
    timeline = client.get(
        "/api/v1/timeline",
        headers=h,
        params={"record_type": "team", "record_id": str(grandchild.id)},
    )
    assert timeline.status_code == 200
    assert timeline.json()["items"][0]["event"] == "team.updated"
