"""Issue 15, point 14: visibility is applied inside the search query, so records the reader
cannot see never crowd out the ones they can (the over-fetch-then-filter design starved)."""

from __future__ import annotations

from typing import Any

from tests.factories.lead import make_lead

S = "/api/v1/search"
HIDDEN = 120


def test_own_lead_is_found_among_many_hidden_ones(client: Any, db: Any, users: Any) -> None:
    for i in range(HIDDEN):
        make_lead(db, owner_id=users.other_rep.id, company="Quorvantis Labs", last_name=f"H{i}")
    mine = make_lead(db, owner_id=users.rep.id, company="Quorvantis Labs", last_name="Mine")
    db.commit()
    r = client.get(S, headers=users.rep.headers, params={"q": "quorvantis"})
    assert r.status_code == 200, r.text
    assert [hit["id"] for hit in r.json()["items"]] == [str(mine.id)]
    # a reader who sees everything still gets a full page, best first
    r = client.get(S, headers=users.admin.headers, params={"q": "quorvantis", "limit": 20})
    assert r.status_code == 200 and len(r.json()["items"]) == 20


def test_team_scope_and_types_inside_the_query(client: Any, db: Any, users: Any) -> None:
    """A manager sees the team's records (the rep's and the teammate's), not the other
    team's; ``types`` still narrows."""
    for i in range(30):
        make_lead(db, owner_id=users.other_rep.id, company="Vextrellion", last_name=f"W{i}")
    rep = make_lead(db, owner_id=users.rep.id, company="Vextrellion", last_name="East")
    mate = make_lead(db, owner_id=users.teammate.id, company="Vextrellion", last_name="Mate")
    db.commit()
    r = client.get(S, headers=users.manager.headers, params={"q": "vextrellion", "limit": 5})
    assert r.status_code == 200, r.text
    assert {hit["id"] for hit in r.json()["items"]} == {str(rep.id), str(mate.id)}
    r = client.get(
        S, headers=users.manager.headers, params={"q": "vextrellion", "types": "contact"}
    )
    assert r.status_code == 200 and r.json()["items"] == []
