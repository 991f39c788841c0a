"""Real concurrency against a real server: 20 identical POSTs with one Idempotency-Key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live.conftest import LiveServer, count_rows

pytestmark = pytest.mark.live


def test_twenty_concurrent_identical_posts_create_one_record(live_server: LiveServer) -> None:
    headers = {**live_server.headers("sales_rep"), "Idempotency-Key": "order-form-7f3a"}
    body = {"name": "Concurrent Corp", "industry": "Retail"}

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
            return c.post("/api/v1/accounts", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert all(s in (201, 409) for s in statuses), statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, created
    assert count_rows(live_server.database_url, "accounts", "name = :n", n="Concurrent Corp") == 1
    replay = httpx.post(live_server.base_url + "/api/v1/accounts", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json()["id"] in created
    assert replay.headers["idempotent-replayed"] == "true"
    other = httpx.post(
        live_server.base_url + "/api/v1/accounts",
        json={**body, "industry": "Food"},
        headers=headers,
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_concurrent_creates_without_key_never_duplicate_a_unique_name(
    live_server: LiveServer,
) -> None:
    headers = live_server.headers("admin")

    def post(_: int) -> int:
        with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
            return c.post(
                "/api/v1/accounts", json={"name": "Race Inc"}, headers=headers
            ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(post, range(10)))
    assert statuses.count(201) == 1 and statuses.count(409) == 9, statuses
