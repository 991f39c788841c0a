"""Query-count baselines: a page of 50 costs the same number of queries as a page of 1."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from tests.query_counts import count_queries


def _make(db: Any, obj: str, n: int, owner: Any) -> list[Any]:
    from tests.factories.account import make_account

    if obj == "accounts":
        return [make_account(db, SYSTEM, owner_id=owner.id, employees=i) for i in range(n)]
    from tests.factories.contact import make_contact

    parent = make_account(db, SYSTEM, owner_id=owner.id)
    return [make_contact(db, SYSTEM, owner_id=owner.id, account_id=parent.id) for _ in range(n)]


@pytest.mark.parametrize("role", ["admin", "sales_rep"])
@pytest.mark.parametrize("obj", ["accounts", "contacts"])
def test_list_page_of_50_costs_what_a_page_of_1_costs(
    client: Any, db: Any, users: Any, obj: str, role: str
) -> None:
    person = users.by_role[role]
    _make(db, obj, 50, person)
    db.commit()
    # the first request resolves the key into an actor (then cached for a few seconds, see
    # nexa.auth.service.ActorCache): compare the two pages with the cache warm
    assert client.get(f"/api/v1/{obj}", headers=person.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get(f"/api/v1/{obj}", headers=person.headers, params={"limit": limit})
        assert r.status_code == 200
        assert len(r.json()["items"]) == limit
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts


@pytest.mark.parametrize("obj", ["accounts", "contacts"])
def test_detail_query_count_baseline(client: Any, db: Any, users: Any, obj: str) -> None:
    record = _make(db, obj, 1, users.rep)[0]
    db.commit()
    with count_queries() as statements:
        r = client.get(f"/api/v1/{obj}/{record.id}", headers=users.rep.headers)
    assert r.status_code == 200
    # key lookup + actor (role, team tree, team members, visibility) + record (+ account team)
    assert len(statements) <= 9, statements
