"""The actor behind an API key is cached per process for a few seconds
(nexa.auth.service.ActorCache): changes made by this process apply on the next request,
changes made elsewhere within ACTOR_CACHE_SECONDS, expiry at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nexa.auth import service as auth_service
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.user.service import create_api_key
from tests.factories.contact import make_contact
from tests.query_counts import count_queries

ACTOR_TABLES = ("api_keys", "users", "roles", "teams", "org_settings")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cache's clock, moved by hand (no sleeping, no timing in the test)."""
    now = [1_000.0]
    monkeypatch.setattr(auth_service.actor_cache, "clock", lambda: now[0])
    return now


def _reads_actor_tables(statements: list[str]) -> list[str]:
    return [s for s in statements if any(f" {t}" in s for t in ACTOR_TABLES)]


def test_a_warm_key_reads_only_the_record(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor, owner_id=users.rep.id)
    db.commit()
    url = f"/api/v1/contacts/{contact.id}"
    with count_queries() as cold:
        first = client.get(url, headers=users.rep.headers)
    with count_queries() as warm:
        second = client.get(url, headers=users.rep.headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.headers["etag"] == second.headers["etag"]
    # key, (user), role, team tree, team members, visibility; then none of them
    assert len(_reads_actor_tables(cold)) >= 5, cold
    assert _reads_actor_tables(warm) == [], warm
    assert len(warm) == len(cold) - len(_reads_actor_tables(cold))


def _issue(db: Any, users: Any, **kw: Any) -> tuple[str, str]:
    """A key for the rep, issued as the signed-in admin does (keys never issue keys)."""
    key, token = create_api_key(
        db, users.admin.actor, user_id=users.rep.id, name="short-lived", scopes=["*"], **kw
    )
    db.commit()
    return str(key.id), token


def test_revoking_a_cached_key_refuses_the_next_request(client: Any, db: Any, users: Any) -> None:
    key_id, token = _issue(db, users)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/api-keys/{key_id}", headers=users.admin.headers)
    assert revoked.status_code == 204
    refused = client.get("/api/v1/contacts", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_change_written_by_any_session_of_the_process_applies_at_once(
    client: Any, db: Any, users: Any
) -> None:
    mine = make_contact(db, users.rep.actor, owner_id=users.rep.id)
    db.commit()
    url = f"/api/v1/contacts/{mine.id}"
    # the manager sees the rep's contact through the team, the rep sees it as owner
    assert client.get(url, headers=users.manager.headers).status_code == 200
    assert client.get(url, headers=users.rep.headers).status_code == 200

    users.rep.user.team_id = users.other_rep.user.team_id  # the rep moves to the west team
    db.commit()
    assert client.get(url, headers=users.manager.headers).status_code == 404

    users.rep.user.is_active = False
    db.commit()
    assert client.get(url, headers=users.rep.headers).status_code == 401


def test_a_change_made_by_another_process_applies_within_the_cache_time(
    client: Any, db: Any, users: Any, clock: list[float]
) -> None:
    theirs = make_contact(db, users.other_rep.actor, owner_id=users.other_rep.id)
    db.commit()
    url = f"/api/v1/contacts/{theirs.id}"
    assert client.get(url, headers=users.rep.headers).status_code == 404
    # written past this process's sessions, as the CLI or a second web worker would
    db.connection().exec_driver_sql(
        "INSERT INTO org_settings (key, value) VALUES ('visibility.contact', '\"public_read\"')"
    )
    db.commit()
    assert client.get(url, headers=users.rep.headers).status_code == 404  # still cached
    clock[0] += auth_service.ACTOR_CACHE_SECONDS + 0.1
    assert client.get(url, headers=users.rep.headers).status_code == 200


def test_an_expired_key_is_refused_although_cached(
    client: Any, db: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expires = utcnow() + timedelta(hours=1)
    _, token = _issue(db, users, expires_at=expires)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    monkeypatch.setattr(auth_service, "utcnow", lambda: expires + timedelta(seconds=1))
    assert client.get("/api/v1/contacts", headers=headers).status_code == 401


def test_last_used_at_is_asked_once_per_key_and_process(
    client: Any, users: Any, enqueued_jobs: list[Any], clock: list[float]
) -> None:
    for _ in range(3):
        assert client.get("/api/v1/contacts", headers=users.support.headers).status_code == 200
    clock[0] += auth_service.ACTOR_CACHE_SECONDS + 0.1  # re-read, last_used_at still unset
    assert client.get("/api/v1/contacts", headers=users.support.headers).status_code == 200
    key_id = str(auth_service.cached_api_key_actor(users.support.token).actor.api_key_id)  # type: ignore[union-attr]
    assert enqueued_jobs.count(("api_key.touch", (key_id,))) == 1


def test_a_cache_filled_before_a_concurrent_change_is_not_kept() -> None:
    cache = auth_service.ActorCache(ttl=5.0, clock=lambda: 0.0)
    generation = cache.generation  # a request starts reading
    cache.clear()  # a change commits meanwhile
    resolved = auth_service.ApiKeyActor(SYSTEM, None, None)
    cache.put("digest", resolved, generation)
    assert cache.get("digest") is None
    cache.put("digest", resolved, cache.generation)
    assert cache.get("digest") is resolved
