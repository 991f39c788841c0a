"""/api/v1/roles and /api/v1/settings/visibility: admins change what everyone may do, and the
change holds from the next request on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.audit import AuditEntry
from nexa.core.permissions import DEFAULT_ROLE_GRANTS, ROLES
from nexa.models import Role
from nexa.user.service import role_record_id
from tests.factories.account import make_account


def _grants(role: str) -> dict[str, str]:
    return {p: s.value for p, s in DEFAULT_ROLE_GRANTS[role].items()}


def test_roles_are_listed_with_their_grants_for_admins_only(client: Any, users: Any) -> None:
    r = client.get("/api/v1/roles", headers=users.admin.headers)
    assert r.status_code == 200
    roles = {role["name"]: role for role in r.json()}
    assert list(roles) == list(ROLES)
    assert roles["sales_rep"]["grants"]["account:read"] == "own"
    assert roles["manager"]["grants"]["deal:write"] == "team"
    assert roles["admin"]["grants"]["role:write"] == "all"
    assert roles["sales_rep"]["record_id"] == str(role_record_id("sales_rep"))
    for person in (users.manager, users.rep, users.support, users.marketer, users.read_only):
        assert client.get("/api/v1/roles", headers=person.headers).status_code == 403


def test_editing_a_roles_grants_changes_what_its_users_do_on_the_next_request(
    client: Any, db: Any, users: Any
) -> None:
    h = users.admin.headers
    assert (
        client.post(
            "/api/v1/accounts", headers=users.rep.headers, json={"name": "Before Inc"}
        ).status_code
        == 201
    )

    without_create = {p: s for p, s in _grants("sales_rep").items() if p != "account:create"}
    r = client.patch("/api/v1/roles/sales_rep", headers=h, json={"grants": without_create})
    assert r.status_code == 200, r.text
    assert "account:create" not in r.json()["grants"] and r.headers["etag"] == '"2"'
    denied = client.post("/api/v1/accounts", headers=users.rep.headers, json={"name": "After Inc"})
    assert denied.status_code == 403
    assert (
        "account:create"
        not in client.get("/api/v1/me", headers=users.rep.headers).json()["permissions"]
    )
    # other roles are untouched
    assert (
        client.post(
            "/api/v1/accounts", headers=users.manager.headers, json={"name": "Manager Inc"}
        ).status_code
        == 201
    )

    widened = {**_grants("sales_rep"), "account:read": "all", "user:read": "team"}
    assert (
        client.patch("/api/v1/roles/sales_rep", headers=h, json={"grants": widened}).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/accounts", headers=users.rep.headers, json={"name": "After Inc"}
        ).status_code
        == 201
    )
    other = make_account(db, users.other_rep.actor, name="Someone Else's")
    db.commit()
    assert client.get(f"/api/v1/accounts/{other.id}", headers=users.rep.headers).status_code == 200
    assert client.get("/api/v1/users", headers=users.rep.headers).status_code == 200

    audit = db.scalars(select(AuditEntry).where(AuditEntry.event == "role.updated")).all()
    fields = {(a.field, a.old_value, a.new_value) for a in audit}
    assert ("account:create", "own", None) in fields
    assert ("account:create", None, "own") in fields
    assert ("account:read", "own", "all") in fields
    assert {a.actor_id for a in audit} == {users.admin.id}
    assert {a.record_id for a in audit} == {role_record_id("sales_rep")}


def test_role_grants_are_validated(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    bad_permission = client.patch(
        "/api/v1/roles/sales_rep",
        headers=h,
        json={"grants": {"account:read": "own", "account:fly": "all"}},
    )
    assert bad_permission.status_code == 422
    assert bad_permission.json()["errors"][0]["field"] == "grants.account:fly"
    bad_scope = client.patch(
        "/api/v1/roles/sales_rep", headers=h, json={"grants": {"account:read": "everything"}}
    )
    assert bad_scope.status_code == 422
    assert bad_scope.json()["errors"][0]["field"] == "grants.account:read"
    assert client.patch("/api/v1/roles/overlord", headers=h, json={"grants": {}}).status_code == 404
    assert (
        client.patch("/api/v1/roles/sales_rep", headers=h, json={"grants": [1]}).status_code == 422
    )
    extra = client.patch("/api/v1/roles/sales_rep", headers=h, json={"grants": {}, "label": "Rep"})
    assert extra.status_code == 422
    stale = client.patch(
        "/api/v1/roles/sales_rep", headers={**h, "If-Match": '"9"'}, json={"grants": {}}
    )
    assert stale.status_code == 412
    list_member = client.patch(
        "/api/v1/roles/read_only",
        headers=h,
        json={"grants": {**_grants("read_only"), "list:add_member": "own"}},
    )
    assert list_member.status_code == 200
    assert (
        client.patch(
            "/api/v1/roles/read_only", headers=users.manager.headers, json={"grants": {}}
        ).status_code
        == 403
    )
    assert db.get(Role, "sales_rep").grants == _grants("sales_rep")


def test_admins_cannot_lock_themselves_out(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    full = _grants("admin")
    for permission in ("role:write", "user:write"):
        without = {p: s for p, s in full.items() if p != permission}
        r = client.patch("/api/v1/roles/admin", headers=h, json={"grants": without})
        assert r.status_code == 409, permission
        assert r.json()["errors"][0]["field"] == f"grants.{permission}"
        narrowed = client.patch(
            "/api/v1/roles/admin", headers=h, json={"grants": {**full, permission: "own"}}
        )
        assert narrowed.status_code == 409
    assert client.patch("/api/v1/roles/admin", headers=h, json={"grants": {}}).status_code == 409
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    # taking something else away from admins is allowed (and can be given back)
    less = {p: s for p, s in full.items() if p != "deal:bulk_delete"}
    assert client.patch("/api/v1/roles/admin", headers=h, json={"grants": less}).status_code == 200
    assert client.patch("/api/v1/roles/admin", headers=h, json={"grants": full}).status_code == 200


def test_visibility_defaults_are_read_and_set_by_admins(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    current = client.get("/api/v1/settings/visibility", headers=h)
    assert current.status_code == 200
    assert current.json()["account"] == "private" and current.json()["product"] == "public_read"
    for person in (users.manager, users.rep, users.read_only):
        assert client.get("/api/v1/settings/visibility", headers=person.headers).status_code == 403
        assert (
            client.put(
                "/api/v1/settings/visibility",
                headers=person.headers,
                json={"account": "public_read"},
            ).status_code
            == 403
        )

    unknown = client.put("/api/v1/settings/visibility", headers=h, json={"spaceship": "private"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "spaceship"
    bad = client.put("/api/v1/settings/visibility", headers=h, json={"account": "everyone"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "account"

    r = client.put(
        "/api/v1/settings/visibility",
        headers=h,
        json={"account": "public_read", "deal": "public_read_write"},
    )
    assert r.status_code == 200
    assert r.json()["account"] == "public_read" and r.json()["deal"] == "public_read_write"
    assert r.json()["contact"] == "private"
    audit = db.scalars(select(AuditEntry).where(AuditEntry.event == "settings.updated")).all()
    assert {(a.field, a.old_value, a.new_value) for a in audit} == {
        ("visibility.account", "private", "public_read"),
        ("visibility.deal", "private", "public_read_write"),
    }
    assert {a.actor_id for a in audit} == {users.admin.id}


def test_public_read_lets_a_rep_see_but_not_change_anothers_account(
    client: Any, db: Any, users: Any
) -> None:
    h = users.admin.headers
    theirs = make_account(db, users.other_rep.actor, name="West Coast Widgets")
    db.commit()
    url = f"/api/v1/accounts/{theirs.id}"
    rep = users.rep.headers
    assert client.get(url, headers=rep).status_code == 404

    assert (
        client.put(
            "/api/v1/settings/visibility", headers=h, json={"account": "public_read"}
        ).status_code
        == 200
    )
    seen = client.get(url, headers=rep)
    assert seen.status_code == 200 and seen.json()["name"] == "West Coast Widgets"
    listed = client.get(
        "/api/v1/accounts", headers=rep, params={"filter": f"id:eq:{theirs.id}"}
    ).json()["items"]
    assert [a["id"] for a in listed] == [str(theirs.id)]
    assert client.patch(url, headers=rep, json={"industry": "Retail"}).status_code == 403
    assert client.delete(url, headers=rep).status_code == 403

    assert (
        client.put(
            "/api/v1/settings/visibility", headers=h, json={"account": "public_read_write"}
        ).status_code
        == 200
    )
    assert client.patch(url, headers=rep, json={"industry": "Retail"}).status_code == 200

    assert (
        client.put(
            "/api/v1/settings/visibility", headers=h, json={"account": "private"}
        ).status_code
        == 200
    )
    assert client.get(url, headers=rep).status_code == 404
    assert client.patch(url, headers=rep, json={"industry": "Energy"}).status_code == 404
