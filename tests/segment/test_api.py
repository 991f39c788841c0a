from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import Activity, ListMember, RecordList
from nexa.segment.service import add_members_as_system, system_list
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.segment import make_list

L = "/api/v1/lists"


def test_crud_unique_name_and_roles(client: Any, users: Any) -> None:
    r = client.post(L, headers=users.marketer.headers, json={"name": "Newsletter"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "static" and body["object_type"] == "contact"
    assert body["filters"] == [] and body["is_locked"] is False
    dup = client.post(L, headers=users.admin.headers, json={"name": "newsletter"})
    assert dup.status_code == 409
    assert client.post(L, headers=users.rep.headers, json={"name": "Mine"}).status_code == 403
    got = client.get(f"{L}/{body['id']}", headers=users.read_only.headers)
    assert got.status_code == 200
    r = client.patch(
        f"{L}/{body['id']}", headers=users.marketer.headers, json={"description": "Monthly"}
    )
    assert r.status_code == 200 and r.json()["description"] == "Monthly"
    denied = client.patch(f"{L}/{body['id']}", headers=users.manager.headers, json={"name": "M"})
    assert denied.status_code == 403
    assert client.delete(f"{L}/{body['id']}", headers=users.rep.headers).status_code == 403
    assert client.delete(f"{L}/{body['id']}", headers=users.marketer.headers).status_code == 204


def test_dynamic_filter_validated_and_static_refuses_filter(client: Any, users: Any) -> None:
    h = users.marketer.headers
    bad = client.post(
        L, headers=h, json={"name": "Bad", "kind": "dynamic", "filters": ["nope:eq:1"]}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "filters"
    assert "nope" in bad.json()["detail"]
    empty = client.post(L, headers=h, json={"name": "Empty", "kind": "dynamic"})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "filters"
    static = client.post(L, headers=h, json={"name": "S", "filter": "email:contains:x"})
    assert static.status_code == 422
    badop = client.post(
        L, headers=h, json={"name": "B", "kind": "dynamic", "filter": "email:like:x"}
    )
    assert badop.status_code == 422 and badop.json()["errors"][0]["field"] == "filters"
    kind = client.post(L, headers=h, json={"name": "K", "object_type": "ticket"})
    assert kind.status_code == 422


def test_static_members_rep_adds_own_only_marketer_any(client: Any, db: Any, users: Any) -> None:
    lst = make_list(db, name="Event invitees")
    mine = make_contact(db, owner_id=users.rep.id, email="mine@example.com")
    theirs = make_contact(db, owner_id=users.other_rep.id)
    db.commit()
    path = f"{L}/{lst.id}/members"
    r = client.post(path, headers=users.rep.headers, json={"record_ids": [str(mine.id)]})
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == 1
    again = client.post(path, headers=users.rep.headers, json={"record_ids": [str(mine.id)]})
    assert again.json() == {"list_id": str(lst.id), "changed": 0, "unchanged": 1}
    denied = client.post(path, headers=users.rep.headers, json={"record_ids": [str(theirs.id)]})
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["field"] == "record_ids"
    assert (
        client.post(
            path, headers=users.manager.headers, json={"record_ids": [str(mine.id)]}
        ).status_code
        == 403
    )
    r = client.post(path, headers=users.marketer.headers, json={"record_ids": [str(theirs.id)]})
    assert r.status_code == 200 and r.json()["changed"] == 1
    missing = "00000000-0000-0000-0000-000000000001"
    bad = client.post(
        path, headers=users.marketer.headers, json={"record_ids": [str(mine.id), missing]}
    )
    assert bad.status_code == 422 and missing in bad.json()["detail"]
    # the rep sees only the member they can read
    page = client.get(path, headers=users.rep.headers).json()
    assert [m["id"] for m in page["items"]] == [str(mine.id)]
    assert page["items"][0]["email"] == "mine@example.com"
    everyone = client.get(path, headers=users.admin.headers).json()["items"]
    assert {m["id"] for m in everyone} == {str(mine.id), str(theirs.id)}
    # shows on the contact's timeline
    db.expire_all()
    events = db.scalars(select(Activity.event).where(Activity.record_id == theirs.id)).all()
    assert "list.members_added" in events
    # remove one, then one by path; idempotent
    r = client.request(
        "DELETE", path, headers=users.marketer.headers, json={"record_ids": [str(theirs.id)]}
    )
    assert r.status_code == 200 and r.json()["changed"] == 1
    r = client.delete(f"{path}/{mine.id}", headers=users.rep.headers)
    assert r.status_code == 200 and r.json()["changed"] == 1
    r = client.delete(f"{path}/{mine.id}", headers=users.rep.headers)
    assert r.json()["changed"] == 0
    assert client.get(path, headers=users.admin.headers).json()["items"] == []


def test_dynamic_members_follow_filter_and_refuse_manual_adds(
    client: Any, db: Any, users: Any
) -> None:
    r = client.post(
        L,
        headers=users.marketer.headers,
        json={
            "name": "Acme people",
            "kind": "dynamic",
            "filter": "email:contains:@acme-corp.com\n",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["filters"] == ["email:contains:@acme-corp.com"]
    list_id = r.json()["id"]
    path = f"{L}/{list_id}/members"
    assert client.get(path, headers=users.admin.headers).json()["items"] == []
    hit = make_contact(db, owner_id=users.rep.id, email="ann@acme-corp.com")
    make_contact(db, owner_id=users.rep.id, email="bob@other-corp.com")
    hidden = make_contact(db, owner_id=users.other_rep.id, email="cy@acme-corp.com")
    db.commit()
    ids = [m["id"] for m in client.get(path, headers=users.rep.headers).json()["items"]]
    assert ids == [str(hit.id)]
    admin_ids = {m["id"] for m in client.get(path, headers=users.admin.headers).json()["items"]}
    assert admin_ids == {str(hit.id), str(hidden.id)}
    narrowed = client.get(
        path, headers=users.admin.headers, params={"filter": "email:starts_with:cy"}
    ).json()["items"]
    assert [m["id"] for m in narrowed] == [str(hidden.id)]
    paged = client.get(path, headers=users.admin.headers, params={"limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    second = client.get(
        path, headers=users.admin.headers, params={"limit": 1, "cursor": paged["next_cursor"]}
    ).json()
    assert {paged["items"][0]["id"], second["items"][0]["id"]} == admin_ids
    add = client.post(path, headers=users.marketer.headers, json={"record_ids": [str(hit.id)]})
    assert add.status_code == 409


def test_memberships_both_ways(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, owner_id=users.rep.id, email="zed@vip-corp.com", tags=["vip"])
    static = make_list(db, name="Static A")
    make_list(db, name="Static B")
    dynamic = make_list(db, name="VIPs", kind="dynamic", filters=["tags:contains:vip"])
    make_list(db, name="Others", kind="dynamic", filters=["email:contains:nobody"])
    db.commit()
    client.post(
        f"{L}/{static.id}/members",
        headers=users.rep.headers,
        json={"record_ids": [str(contact.id)]},
    )
    r = client.get(
        f"{L}/memberships",
        headers=users.rep.headers,
        params={"record_type": "contact", "record_id": str(contact.id)},
    )
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [str(static.id), str(dynamic.id)]
    unreadable = client.get(
        f"{L}/memberships",
        headers=users.other_rep.headers,
        params={"record_type": "contact", "record_id": str(contact.id)},
    )
    assert unreadable.status_code == 404
    bad = client.get(
        f"{L}/memberships",
        headers=users.rep.headers,
        params={"record_type": "ticket", "record_id": str(contact.id)},
    )
    assert bad.status_code == 422


def test_system_list_is_locked_and_reused(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, owner_id=users.rep.id)
    handoff = system_list(db, "cs_handoff", name="Customer success handoff", object_type="account")
    assert system_list(db, "cs_handoff", name="ignored", object_type="account").id == handoff.id
    assert add_members_as_system(db, handoff, [account.id]) == 1
    assert add_members_as_system(db, handoff, [account.id]) == 0
    db.commit()
    row = db.scalars(unscoped(select(RecordList).where(RecordList.id == handoff.id))).one()
    assert row.is_locked and row.owner_id is None and row.kind == "static"
    assert db.scalars(select(ListMember).where(ListMember.list_id == handoff.id)).one()
    h = users.admin.headers
    assert client.patch(f"{L}/{handoff.id}", headers=h, json={"name": "X"}).status_code == 409
    assert client.delete(f"{L}/{handoff.id}", headers=h).status_code == 409
    got = client.get(f"{L}/{handoff.id}", headers=h).json()
    assert got["system_key"] == "cs_handoff"
    members = client.get(f"{L}/{handoff.id}/members", headers=h).json()["items"]
    assert [m["id"] for m in members] == [str(account.id)]
    assert members[0]["name"] == account.name
