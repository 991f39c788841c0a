"""The API's request path on a real uvicorn: the session dependency's read, write and error
exits, the answer built in the endpoint (same body, ETag), and the cached actor."""

from __future__ import annotations

import httpx

from tests.live.conftest import LiveServer, count_rows, issue_key


def test_read_write_and_failed_requests_end_their_transaction(live_server: LiveServer) -> None:
    h = live_server.headers("admin")
    with httpx.Client(base_url=live_server.base_url, headers=h, timeout=30) as client:
        created = client.post(
            "/api/v1/contacts", json={"first_name": "Ada", "last_name": "Request-Path"}
        )
        assert created.status_code == 201, created.text
        contact = created.json()
        url = f"/api/v1/contacts/{contact['id']}"

        got = client.get(url)
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/json"
        assert got.headers["etag"] == created.headers["etag"] == '"1"'
        assert got.json() == contact

        changed = client.patch(url, json={"title": "CTO"}, headers={"If-Match": '"1"'})
        assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
        again = client.get(url)
        assert again.json()["title"] == "CTO" and again.headers["etag"] == '"2"'

        stale = client.patch(url, json={"title": "CEO"}, headers={"If-Match": '"1"'})
        assert stale.status_code == 412
        assert client.get(url).json()["title"] == "CTO"

        missing = client.get("/api/v1/contacts/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

        bad = client.post("/api/v1/contacts", json={"first_name": "No last name"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "last_name"
        assert count_rows(live_server.database_url, "contacts", "last_name = 'Request-Path'") == 1


def test_a_revoked_key_is_refused_by_the_server_on_the_next_request(
    live_server: LiveServer,
) -> None:
    admin = live_server.headers("admin")
    key_id, token = issue_key(live_server.database_url, live_server.ids["read_only"])
    with httpx.Client(base_url=live_server.base_url, timeout=30) as client:
        key = {"Authorization": f"Bearer {token}"}
        for _ in range(3):  # warm: the actor is now cached in the server process
            assert client.get("/api/v1/contacts", headers=key).status_code == 200
        revoked = client.delete(f"/api/v1/api-keys/{key_id}", headers=admin)
        assert revoked.status_code == 204
        assert client.get("/api/v1/contacts", headers=key).status_code == 401
