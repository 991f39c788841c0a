"""A page of 50 leads costs the same number of queries as a page of 1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.lead import make_lead
from tests.query_counts import count_queries


@pytest.mark.parametrize("role", ["admin", "sales_rep"])
def test_list_page_of_50_costs_what_a_page_of_1_costs(
    client: Any, db: Any, users: Any, role: str
) -> None:
    person = users.by_role[role]
    for _ in range(50):
        make_lead(db, owner_id=person.id, tags=["a"])
    db.commit()
    # the first request resolves the API key into an actor (then cached for a few seconds,
    # nexa.auth.service): compare the two pages with the cache warm
    assert client.get("/api/v1/leads", headers=person.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get("/api/v1/leads", headers=person.headers, params={"limit": limit})
        assert r.status_code == 200
        assert len(r.json()["items"]) == limit
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts
