from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.contact.schemas import ContactUpdate
from nexa.contact.service import delete_contact, update_contact
from nexa.core.actor import SYSTEM
from nexa.models import SearchDocument
from nexa.search.service import fts5_query, reindex, tsquery
from tests.factories.account import make_account
from tests.factories.contact import make_contact

S = "/api/v1/search"


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["items"]]


def test_finds_by_name_prefix_email_company_and_phone(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, owner_id=users.rep.id, name="Zyxwabble Industries")
    contact = make_contact(
        db,
        owner_id=users.rep.id,
        first_name="Quillon",
        last_name="Marrowby",
        email="q.marrowby@zyxw-mail.com",
        phone="+1 555 010 1234",
        account_id=account.id,
    )
    db.commit()
    h = users.rep.headers
    assert ids(client.get(S, headers=h, params={"q": "quil"})) == [str(contact.id)]
    assert ids(client.get(S, headers=h, params={"q": "Quillon Marr"})) == [str(contact.id)]
    assert ids(client.get(S, headers=h, params={"q": "q.marrowby@zyxw-mail.com"})) == [
        str(contact.id)
    ]
    both = ids(client.get(S, headers=h, params={"q": "zyxwabble"}))
    assert both[0] == str(account.id) and str(contact.id) in both  # the title match ranks first
    assert ids(client.get(S, headers=h, params={"q": "555 0101234"})) == [str(contact.id)]
    assert ids(client.get(S, headers=h, params={"q": "0101234"})) == [str(contact.id)]
    only = ids(client.get(S, headers=h, params={"q": "zyxwabble", "types": "account"}))
    assert only == [str(account.id)]
    hit = client.get(S, headers=h, params={"q": "quillon"}).json()["items"][0]
    assert hit["record_type"] == "contact" and hit["title"] == "Quillon Marrowby"
    assert "Zyxwabble Industries" in hit["subtitle"] and hit["score"] > 0


def test_updates_reindex_and_deleted_records_disappear(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, owner_id=users.rep.id, first_name="Oldname", last_name="Pelk")
    db.commit()
    h = users.rep.headers
    assert ids(client.get(S, headers=h, params={"q": "oldname"})) == [str(contact.id)]
    r = client.patch(f"/api/v1/contacts/{contact.id}", headers=h, json={"first_name": "Brandnew"})
    assert r.status_code == 200
    assert ids(client.get(S, headers=h, params={"q": "oldname"})) == []
    assert ids(client.get(S, headers=h, params={"q": "brandnew pelk"})) == [str(contact.id)]
    assert client.delete(f"/api/v1/contacts/{contact.id}", headers=h).status_code == 204
    assert ids(client.get(S, headers=h, params={"q": "brandnew"})) == []
    db.expire_all()
    assert (
        db.scalars(select(SearchDocument).where(SearchDocument.record_id == contact.id)).first()
        is None
    )
    assert client.post(f"/api/v1/contacts/{contact.id}/restore", headers=h).status_code == 200
    assert ids(client.get(S, headers=h, params={"q": "brandnew"})) == [str(contact.id)]


def test_scoped_to_what_the_actor_can_read(client: Any, db: Any, users: Any) -> None:
    secret = make_contact(db, owner_id=users.other_rep.id, first_name="Vexillo", last_name="A")
    mine = make_contact(db, owner_id=users.rep.id, first_name="Vexillo", last_name="B")
    db.commit()
    assert ids(client.get(S, headers=users.rep.headers, params={"q": "vexillo"})) == [str(mine.id)]
    assert set(ids(client.get(S, headers=users.admin.headers, params={"q": "vexillo"}))) == {
        str(mine.id),
        str(secret.id),
    }
    assert ids(client.get(S, headers=users.manager.headers, params={"q": "vexillo"})) == [
        str(mine.id)
    ]


def test_q_and_types_validation(client: Any, users: Any) -> None:
    h = users.rep.headers
    for q in ("", "   ", '"*()-:^', "+-_"):
        r = client.get(S, headers=h, params={"q": q})
        assert r.status_code == 422, (q, r.text)
        assert r.json()["errors"][0]["field"] == "q"
    # FTS syntax in the words is harmless
    assert client.get(S, headers=h, params={"q": 'a" OR b* NEAR(x'}).status_code == 200
    assert client.get(S, headers=h, params={"q": "x", "types": "ticket"}).status_code == 422
    assert client.get(S, headers=h, params={"q": "x" * 201}).status_code == 422
    assert client.get(S, headers=h, params={"q": "x", "limit": 0}).status_code == 422


def test_query_builders() -> None:
    assert fts5_query(["ann", "acme"], None) == '"ann" "acme"*'
    assert fts5_query(["555", "0101"], "5550101") == '("555" "0101"*) OR "5550101"*'
    assert tsquery(["Ann", "acme"], None) == "ann:* & acme:*"


def test_reindex_rebuilds_documents(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, owner_id=users.rep.id, first_name="Reindexa", last_name="Z")
    update_contact(db, SYSTEM, contact.id, ContactUpdate(title="Chief Wombat"))
    gone = make_contact(db, owner_id=users.rep.id, first_name="Reindexa", last_name="Gone")
    delete_contact(db, SYSTEM, gone.id)
    db.execute(SearchDocument.__table__.delete())
    db.commit()
    assert ids(client.get(S, headers=users.rep.headers, params={"q": "reindexa"})) == []
    count = reindex(db)
    db.commit()
    assert count >= 1
    assert ids(client.get(S, headers=users.rep.headers, params={"q": "reindexa wombat"})) == [
        str(contact.id)
    ]
