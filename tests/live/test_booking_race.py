"""Two visitors cannot book the same slot, against a real server: concurrent POSTs of one
slot (each with its own address) give exactly one booking; the others are told the slot was
just taken (409 naming starts_at)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live.conftest import LiveServer, count_rows

pytestmark = pytest.mark.live

EVERY_DAY = {d: [["00:00", "23:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_concurrent_bookings_of_one_slot_make_one_meeting(live_server: LiveServer) -> None:
    page = httpx.put(
        live_server.base_url + "/api/v1/booking-pages/me",
        headers=live_server.headers("sales_rep"),
        json={
            "slug": "race-page",
            "title": "Race",
            "notice_hours": 1,
            "working_hours": EVERY_DAY,
        },
        timeout=60,
    )
    assert page.status_code == 200, page.text
    shown = httpx.get(live_server.base_url + "/book/race-page?tz=UTC", timeout=60).text
    start = re.findall(r'name="starts_at" value="([^"]+)"', shown)[0]
    token = re.findall(r'name="token" value="([^"]+)"', shown)[0]

    def post(i: int) -> httpx.Response:
        with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
            return c.post(
                "/book/race-page",
                data={
                    "token": token,
                    "starts_at": start,
                    "name": f"Visitor {i}",
                    "email": f"visitor{i}@race.example",
                },
                headers={"Accept": "application/json"},
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["errors"][0]["field"] == "starts_at" and "moment ago" in refused["detail"]
    assert count_rows(live_server.database_url, "bookings") == 1
    assert count_rows(live_server.database_url, "meetings", "title LIKE :t", t="Race with %") == 1
