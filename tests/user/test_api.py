"""/api/v1/users and /api/v1/me over real HTTP; passwords are set by a signed-in person (the
web UI, the CLI), never with an API key."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from nexa.auth.service import verify_password
from nexa.core.audit import AuditEntry
from nexa.core.errors import ValidationFailed
from nexa.core.events import OutboxMessage
from nexa.models import User
from nexa.user import service
from nexa.user.schemas import MeUpdate, UserCreate, UserUpdate
from tests.factories.user import PASSWORD, make_user


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_admin_lists_everyone_manager_their_team_tree_others_403(client: Any, users: Any) -> None:
    everyone = _ids(client.get("/api/v1/users", headers=users.admin.headers, params={"limit": 200}))
    assert {str(p.id) for p in users.by_role.values()} <= everyone
    assert str(users.other_rep.id) in everyone

    team = _ids(client.get("/api/v1/users", headers=users.manager.headers))
    assert team == {str(users.manager.id), str(users.rep.id), str(users.teammate.id)}

    for person in (users.rep, users.support, users.marketer, users.read_only):
        r = client.get("/api/v1/users", headers=person.headers)
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"


def test_list_filters_sorts_and_pages(client: Any, users: Any) -> None:
    h = users.admin.headers
    managers = client.get("/api/v1/users", headers=h, params={"filter": "role:eq:manager"}).json()[
        "items"
    ]
    assert {m["id"] for m in managers} == {str(users.manager.id), str(users.other_manager.id)}
    first = client.get("/api/v1/users", headers=h, params={"limit": 2, "sort": "email"}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        "/api/v1/users",
        headers=h,
        params={"limit": 2, "sort": "email", "cursor": first["next_cursor"]},
    ).json()
    emails = [u["email"] for u in first["items"] + second["items"]]
    assert emails == sorted(emails) and len(set(emails)) == 4
    assert "password_hash" not in first["items"][0]
    bad = client.get("/api/v1/users", headers=h, params={"filter": "password_hash:eq:x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter"


def test_get_one_in_scope_else_404(client: Any, users: Any) -> None:
    ok = client.get(f"/api/v1/users/{users.teammate.id}", headers=users.manager.headers)
    assert ok.status_code == 200 and ok.json()["email"] == users.teammate.user.email
    assert ok.headers["etag"] == '"1"'
    assert (
        client.get(f"/api/v1/users/{users.other_rep.id}", headers=users.manager.headers).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/users/{users.other_rep.id}", headers=users.admin.headers).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/users/{users.teammate.id}", headers=users.rep.headers).status_code
        == 403
    )


def test_admin_creates_user_and_event_is_recorded(client: Any, db: Any, users: Any) -> None:
    body = {
        "email": "New.Person@Example.com",
        "full_name": "New Person",
        "role": "marketer",
        "timezone": "Europe/Paris",
    }
    with_password = client.post(
        "/api/v1/users",
        headers=users.admin.headers,
        json={**body, "password": "a long enough password"},
    )
    assert with_password.status_code == 403  # an API key never sets a sign-in password
    assert with_password.json()["errors"][0]["field"] == "password"
    r = client.post("/api/v1/users", headers=users.admin.headers, json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["email"] == "new.person@example.com" and created["role"] == "marketer"
    assert "password" not in created and "password_hash" not in created
    user = db.get(User, __import__("uuid").UUID(created["id"]))
    assert user.password_hash is None
    # the signed-in admin (web UI) may give one; only its argon2 hash is stored
    signed_in = service.create_user(
        db,
        users.admin.actor,
        UserCreate(email="pw@example.com", full_name="P W", password="a long enough password"),
    )
    assert verify_password(signed_in.password_hash, "a long enough password")
    db.commit()
    outbox = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.event == "user.created", OutboxMessage.record_id == user.id
        )
    ).one()
    assert "a long enough password" not in str(outbox.payload)

    dup = client.post(
        "/api/v1/users",
        headers=users.admin.headers,
        json={**body, "email": "new.person@example.com"},
    )
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "email"
    bad_zone = client.post(
        "/api/v1/users",
        headers=users.admin.headers,
        json={**body, "email": "zone@example.com", "timezone": "Mars/Olympus"},
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "timezone"
    by_manager = client.post(
        "/api/v1/users", headers=users.manager.headers, json={**body, "email": "m@example.com"}
    )
    assert by_manager.status_code == 403


def test_admin_patches_role_team_activity_password(client: Any, db: Any, users: Any) -> None:
    h = users.admin.headers
    r = client.patch(
        f"/api/v1/users/{users.rep.id}",
        headers=h,
        json={
            "role": "manager",
            "team_id": str(users.other_manager.user.team_id),
            "full_name": "Promoted Rep",
        },
    )
    assert r.status_code == 200, r.text
    by_key = client.patch(
        f"/api/v1/users/{users.rep.id}", headers=h, json={"password": "a brand new password"}
    )
    assert by_key.status_code == 403 and by_key.json()["errors"][0]["field"] == "password"
    service.update_user(  # the signed-in admin resets it (web UI)
        db, users.admin.actor, users.rep.id, UserUpdate(password="a brand new password")
    )
    db.commit()
    assert verify_password(db.get(User, users.rep.id).password_hash, "a brand new password")
    body = r.json()
    assert body["role"] == "manager" and body["full_name"] == "Promoted Rep"
    assert body["team_id"] == str(users.other_manager.user.team_id)
    assert r.headers["etag"] == '"2"'
    rows = db.scalars(
        select(AuditEntry).where(
            AuditEntry.record_id == users.rep.id, AuditEntry.event == "user.updated"
        )
    ).all()
    changes = {a.field: (a.old_value, a.new_value) for a in rows}
    assert changes["role"] == ("sales_rep", "manager")
    assert changes["password"] == ("***", "***")
    assert all(a.actor_id == users.admin.id for a in rows)
    stored = db.scalars(select(OutboxMessage).where(OutboxMessage.event == "user.updated")).all()
    assert all("argon2" not in str(m.payload) for m in stored)

    off = client.patch(f"/api/v1/users/{users.rep.id}", headers=h, json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (
        client.get("/api/v1/me", headers=users.rep.headers).status_code == 401
    )  # its keys stop working

    bad_team = client.patch(
        f"/api/v1/users/{users.teammate.id}",
        headers=h,
        json={"team_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert bad_team.status_code == 422 and bad_team.json()["errors"][0]["field"] == "team_id"
    null_role = client.patch(f"/api/v1/users/{users.teammate.id}", headers=h, json={"role": None})
    assert null_role.status_code == 422
    stale = client.patch(
        f"/api/v1/users/{users.teammate.id}",
        headers={**h, "If-Match": '"7"'},
        json={"full_name": "X"},
    )
    assert stale.status_code == 412
    assert (
        client.patch(
            f"/api/v1/users/{users.teammate.id}",
            headers=users.manager.headers,
            json={"full_name": "Nope"},
        ).status_code
        == 403
    )


def test_last_active_admin_cannot_demote_or_deactivate_themselves(
    client: Any, db: Any, users: Any
) -> None:
    me = f"/api/v1/users/{users.admin.id}"
    h = users.admin.headers
    demote = client.patch(me, headers=h, json={"role": "manager"})
    assert demote.status_code == 409
    assert demote.json()["errors"][0]["field"] == "role"
    deactivate = client.patch(me, headers=h, json={"is_active": False})
    assert deactivate.status_code == 409
    assert db.get(User, users.admin.id).role == "admin"

    second = make_user(db, "admin")
    db.commit()
    off = client.patch(f"/api/v1/users/{second.id}", headers=h, json={"is_active": False})
    assert off.status_code == 200  # another admin (me) stays active
    assert client.patch(me, headers=h, json={"role": "manager"}).status_code == 409

    third = make_user(db, "admin")
    db.commit()
    assert client.patch(me, headers=h, json={"role": "manager"}).status_code == 200
    # I am no longer admin: the next request already runs with the manager's grants
    assert client.get("/api/v1/roles", headers=h).status_code == 403
    assert client.get("/api/v1/roles", headers=third.headers).status_code == 200


def test_me_reads_and_changes_only_my_own_profile(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    me = client.get("/api/v1/me", headers=h)
    assert me.status_code == 200
    assert me.json()["id"] == str(users.rep.id)
    assert me.json()["permissions"]["account:read"] == "own"
    assert "user:read" not in me.json()["permissions"]

    ok = client.patch(
        "/api/v1/me", headers=h, json={"full_name": "Renamed Rep", "timezone": "America/New_York"}
    )
    assert ok.status_code == 200 and ok.json()["full_name"] == "Renamed Rep"
    assert ok.json()["timezone"] == "America/New_York"

    for forbidden in (
        {"role": "admin"},
        {"team_id": None},
        {"is_active": False},
        {"email": "x@example.com"},
    ):
        r = client.patch("/api/v1/me", headers=h, json=forbidden)
        assert r.status_code == 422, forbidden
        assert r.json()["errors"][0]["field"] == next(iter(forbidden))
    assert db.get(User, users.rep.id).role == "sales_rep"
    bad_zone = client.patch("/api/v1/me", headers=h, json={"timezone": "../../etc/passwd"})
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "timezone"
    assert client.get("/api/v1/me").status_code == 401


def test_no_api_key_changes_a_password_whatever_its_scopes(client: Any, db: Any) -> None:
    """Issue 15: a key scoped to lead:read renamed its user and changed the password."""
    person = make_user(db, "support_agent", password=PASSWORD, scopes=["lead:read"])
    full = make_user(db, "support_agent", password=PASSWORD)
    db.commit()
    renamed = client.patch("/api/v1/me", headers=person.headers, json={"full_name": "Hijacked"})
    assert renamed.status_code == 403 and renamed.json()["missing_scope"] == "me:write"
    for who in (person, full):
        changed = client.patch(
            "/api/v1/me",
            headers=who.headers,
            json={"password": "my new password 42", "current_password": PASSWORD},
        )
        assert changed.status_code == 403, changed.text
    assert changed.json()["errors"][0]["field"] == "password"  # a "*" key: the field refused
    guess = client.patch(  # refused before the current password is looked at: no oracle
        "/api/v1/me",
        headers=full.headers,
        json={"password": "my new password 42", "current_password": "a guess"},
    )
    assert guess.status_code == 403 and guess.json()["errors"][0]["field"] == "password"
    for who in (person, full):
        user = db.get(User, who.id)
        db.refresh(user)
        assert user.full_name != "Hijacked" and verify_password(user.password_hash, PASSWORD)
    # me:write lets a key change the name and time zone, never the password
    assert (
        client.patch("/api/v1/me", headers=full.headers, json={"full_name": "Renamed"}).status_code
        == 200
    )


def test_me_password_change_needs_the_current_password(db: Any) -> None:
    """As the signed-in person (no API key): the current password is asked, and checked."""
    person = make_user(db, "support_agent", password=PASSWORD)
    db.commit()
    actor = person.actor
    new = "my new password 42"
    with pytest.raises(ValidationFailed) as missing:
        service.update_me(db, actor, {"password": new})
    assert missing.value.field == "current_password" and "current" in missing.value.detail
    with pytest.raises(ValidationFailed) as wrong:
        service.update_me(db, actor, {"password": new, "current_password": "nope"})
    assert wrong.value.field == "current_password" and "wrong" in wrong.value.detail
    with pytest.raises(ValidationError) as short:
        MeUpdate.model_validate({"password": "short", "current_password": PASSWORD})
    assert short.value.errors()[0]["loc"] == ("password",)
    service.update_me(db, actor, {"password": new, "current_password": PASSWORD})
    db.commit()
    user = db.get(User, person.id)
    assert verify_password(user.password_hash, new)
    audit = db.scalars(
        select(AuditEntry).where(AuditEntry.record_id == person.id, AuditEntry.field == "password")
    ).one()
    assert (audit.old_value, audit.new_value, audit.actor_id) == ("***", "***", person.id)
