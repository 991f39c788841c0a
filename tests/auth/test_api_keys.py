"""API keys: issued by a signed-in admin (the web UI, the CLI: never with an API key), listed
and revoked at /api/v1/api-keys, and bearer authentication over real HTTP."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from nexa.auth.schemas import ApiKeyOut
from nexa.auth.service import touch_api_key
from nexa.core.audit import AuditEntry
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.models import ApiKey
from nexa.user.service import create_api_key


def _issue(
    db: Any,
    users: Any,
    *,
    user_id: Any = None,
    name: str = "integration",
    scopes: list[str] | None = None,
    expires_at: Any = None,
) -> dict[str, Any]:
    """Issue a key as the web UI and the CLI do: the admin signed in, an actor with no key."""
    key, token = create_api_key(
        db,
        users.admin.actor,
        user_id=user_id or users.admin.id,
        name=name,
        scopes=scopes or ["*"],
        expires_at=expires_at,
    )
    db.commit()
    return {**ApiKeyOut.model_validate(key).model_dump(mode="json"), "token": token}


def test_token_is_shown_once_and_only_its_sha256_is_stored(
    client: Any, db: Any, users: Any, enqueued_jobs: list[Any]
) -> None:
    created = _issue(
        db, users, name="zapier", user_id=users.rep.id, scopes=["contact:read", "account:read"]
    )
    token = created["token"]
    assert token.startswith("nexa_") and len(token) > 40
    assert created["prefix"] == token[:12]
    assert created["user_id"] == str(users.rep.id)
    assert created["scopes"] == ["contact:read", "account:read"]

    row = db.get(ApiKey, uuid.UUID(created["id"]))
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    stored = [getattr(row, c.key) for c in ApiKey.__mapper__.column_attrs]
    assert all(token not in str(value) for value in stored)
    secret_part = token[12:]
    assert all(secret_part not in str(value) for value in stored)

    listing = client.get("/api/v1/api-keys", headers=users.admin.headers)
    assert listing.status_code == 200
    assert token not in listing.text and secret_part not in listing.text
    mine = next(k for k in listing.json() if k["id"] == created["id"])
    assert "token" not in mine and "token_sha256" not in mine
    assert (
        mine["prefix"] == token[:12] and mine["revoked_at"] is None and mine["last_used_at"] is None
    )

    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/contacts", headers=h).status_code == 200
    me = client.get("/api/v1/me", headers=h)  # its own profile is a scope of its own
    assert me.status_code == 403 and me.json()["missing_scope"] == "me:read"
    # last_used_at is bookkeeping done after commit by a job; here the job is recorded, run it
    assert ("api_key.touch", (created["id"],)) in enqueued_jobs
    touch_api_key(db, row.id)
    db.commit()
    used = client.get(
        "/api/v1/api-keys", headers=users.admin.headers, params={"user_id": str(users.rep.id)}
    ).json()
    assert {k["id"] for k in used} >= {created["id"]}
    assert next(k for k in used if k["id"] == created["id"])["last_used_at"] is not None
    audit = db.scalars(
        select(AuditEntry).where(
            AuditEntry.event == "api_key.created", AuditEntry.record_id == row.id
        )
    ).one()
    assert audit.actor_id == users.admin.id


def test_scoped_key_reads_contacts_but_cannot_create_accounts(
    client: Any, db: Any, users: Any
) -> None:
    token = _issue(db, users, user_id=users.rep.id, scopes=["contact:read"])["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/contacts", headers=h).status_code == 200
    denied = client.post("/api/v1/accounts", headers=h, json={"name": "Scoped Corp"})
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    # the same user with a full key may create accounts: the scope, not the role, refused it
    assert (
        client.post(
            "/api/v1/accounts", headers=users.rep.headers, json={"name": "Scoped Corp"}
        ).status_code
        == 201
    )


def test_key_scope_never_widens_the_users_role(client: Any, db: Any, users: Any) -> None:
    token = _issue(db, users, user_id=users.read_only.id, scopes=["account:create"])["token"]
    r = client.post(
        "/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}, json={"name": "Nope Inc"}
    )
    assert r.status_code == 403


def test_revoked_key_answers_401(client: Any, db: Any, users: Any) -> None:
    created = _issue(db, users, user_id=users.rep.id)
    h = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert (
        client.delete(f"/api/v1/api-keys/{created['id']}", headers=users.admin.headers).status_code
        == 204
    )
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/api-keys", headers=users.admin.headers).json()
    assert next(k for k in listed if k["id"] == created["id"])["revoked_at"] is not None
    assert (
        client.delete(f"/api/v1/api-keys/{created['id']}", headers=users.admin.headers).status_code
        == 204
    )
    assert (
        client.delete(f"/api/v1/api-keys/{uuid.uuid4()}", headers=users.admin.headers).status_code
        == 404
    )
    revoked = db.scalars(select(AuditEntry).where(AuditEntry.event == "api_key.revoked")).all()
    assert len(revoked) == 1 and revoked[0].actor_id == users.admin.id


def test_expired_key_answers_401(client: Any, db: Any, users: Any) -> None:
    soon = utcnow() + timedelta(hours=1)
    created = _issue(db, users, user_id=users.rep.id, expires_at=soon)
    h = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    db.get(ApiKey, uuid.UUID(created["id"])).expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/me", headers=h).status_code == 401

    with pytest.raises(ValidationFailed) as past:
        _issue(db, users, name="late", expires_at=utcnow() - timedelta(days=1))
    assert past.value.field == "expires_at"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nexa_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token nexa_abc"},
        {"Authorization": "Bearer " + "x" * 500},
    ],
)
def test_wrong_or_absent_header_is_401_problem(
    client: Any, users: Any, headers: dict[str, str]
) -> None:
    r = client.get("/api/v1/accounts", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["status"] == 401


def test_only_admins_manage_keys_and_input_is_checked(client: Any, db: Any, users: Any) -> None:
    for person in (users.manager, users.rep, users.support, users.marketer, users.read_only):
        assert client.get("/api/v1/api-keys", headers=person.headers).status_code == 403
        with pytest.raises(PermissionDenied):
            create_api_key(db, person.actor, user_id=person.id, name="mine", scopes=["*"])
    with pytest.raises(ValidationFailed) as unknown:
        _issue(db, users, scopes=["contact:read", "root"])
    assert unknown.value.field == "scopes"
    with pytest.raises(ValidationFailed) as nobody:
        _issue(db, users, user_id=uuid.uuid4())
    assert nobody.value.field == "user_id"


def test_no_api_key_can_issue_a_key(client: Any, db: Any, users: Any) -> None:
    """Whatever its scopes: a key that could would outlive its own revocation."""
    narrow = _issue(db, users, scopes=["api_key:create", "api_key:read", "contact:read"])
    for headers in (users.admin.headers, {"Authorization": f"Bearer {narrow['token']}"}):
        r = client.post(
            "/api/v1/api-keys", headers=headers, json={"name": "more", "scopes": ["contact:read"]}
        )
        assert r.status_code == 403, r.text
        assert r.json()["missing_scope"] == "session" and "sign in" in r.json()["detail"]
    key_actor = client.get("/api/v1/me", headers=users.admin.headers)  # the key's own actor
    assert key_actor.status_code == 200
    from nexa.auth.service import api_key_actor

    with pytest.raises(PermissionDenied):  # nor through the service, from any other path
        create_api_key(
            db,
            api_key_actor(db, users.admin.token).actor,
            user_id=users.admin.id,
            name="more",
            scopes=["*"],
        )
    assert db.scalars(select(ApiKey).where(ApiKey.name == "more")).all() == []
