"""A page of 50 deals costs the same number of queries as a page of 1."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.core.test_query_counts import count_queries
from tests.factories.deal import make_deal


@pytest.mark.parametrize("role", ["admin", "sales_rep"])
def test_list_page_of_50_costs_what_a_page_of_1_costs(
    client: Any, db: Any, users: Any, role: str
) -> None:
    person = users.by_role[role]
    for i in range(50):
        make_deal(
            db,
            person.actor,
            amount=Decimal(1000 + i),
            stage="proposal" if i % 2 else "qualification",
            sales_team=[users.teammate.id] if i % 3 else [],
        )
    db.commit()
    # the first request resolves the API key into an actor (then cached for a few seconds,
    # nexa.auth.service): compare the two pages with the cache warm
    assert client.get("/api/v1/deals", headers=person.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get("/api/v1/deals", headers=person.headers, params={"limit": limit})
        assert r.status_code == 200
        assert len(r.json()["items"]) == limit
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts
