"""Issue 15, point 9: search reads documents and queries through the text normaliser, so a
look-alike query finds the record and an invisible character does not split a word."""

from __future__ import annotations

from typing import Any

from tests.factories.account import make_account

S = "/api/v1/search"


def test_look_alike_queries_and_documents(client: Any, db: Any, users: Any) -> None:
    plain = make_account(db, owner_id=users.rep.id, name="Brontavix Systems")
    glued = make_account(db, owner_id=users.rep.id, name="Quel\u200bmorra Partners")
    db.commit()
    h = users.rep.headers
    for q in ("Ｂｒｏｎｔａｖｉｘ", "brontavix", "Bron\u00adtavix"):
        r = client.get(S, headers=h, params={"q": q})
        assert r.status_code == 200, r.text
        assert [hit["id"] for hit in r.json()["items"]] == [str(plain.id)], q
    r = client.get(S, headers=h, params={"q": "quelmorra"})
    assert [hit["id"] for hit in r.json()["items"]] == [str(glued.id)]
