from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from nexa.contact.schemas import ContactCreate, ContactUpdate
from nexa.contact.service import ContactService, create_contact, update_contact
from nexa.core.audit import AuditEntry
from nexa.core.db import get_engine
from nexa.core.repository import unscoped
from nexa.models import Activity, Contact, OutboxMessage
from tests.factories.account import make_account
from tests.factories.contact import make_contact

URL = "/api/v1/contacts"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def _field(response: Any, status: int) -> str:
    return _problem(response, status)["errors"][0]["field"]  # type: ignore[no-any-return]


# ---- create, normalise, uniqueness --------------------------------------------------------


def test_create_normalises_and_defaults(client: Any, users: Any) -> None:
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "email": "Ada.Lovelace@Example.COM",
            "phone": "(415) 555-0100",
            "mobile": "+44 20 7946 0958",
            "linkedin_url": "linkedin.com/in/ada",
            "title": "CTO",
            "department": "Engineering",
            "tags": ["vip", "vip ", "board"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["first_name"] == "Ada"
    assert body["full_name"] == "Ada Lovelace"
    assert body["email"] == "ada.lovelace@example.com"
    assert body["phone"] == "+14155550100"
    assert body["mobile"] == "+442079460958"
    assert body["linkedin_url"] == "https://linkedin.com/in/ada"
    assert body["tags"] == ["vip", "board"]
    assert body["lifecycle_stage"] == "lead"
    assert body["customer_status"] is None
    assert body["owner_id"] == str(users.rep.id)
    assert body["version"] == 1 and body["deleted_at"] is None and body["last_activity_at"] is None
    assert r.headers["etag"] == '"1"'
    got = client.get(f"{URL}/{body['id']}", headers=users.rep.headers)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json() == body


def test_first_and_last_name_are_required(client: Any, users: Any) -> None:
    h = users.rep.headers
    assert _field(client.post(URL, headers=h, json={"first_name": "Ada"}), 422) == "last_name"
    assert _field(client.post(URL, headers=h, json={"last_name": "Lovelace"}), 422) == "first_name"
    assert (
        _field(client.post(URL, headers=h, json={"first_name": "  ", "last_name": "X"}), 422)
        == "first_name"
    )
    made = client.post(URL, headers=h, json={"first_name": "Ada", "last_name": "Lovelace"}).json()
    cleared = client.patch(f"{URL}/{made['id']}", headers=h, json={"last_name": None})
    assert _field(cleared, 422) == "last_name"
    stage = client.patch(f"{URL}/{made['id']}", headers=h, json={"lifecycle_stage": None})
    assert _field(stage, 422) == "lifecycle_stage"


def test_idempotency_key_creates_once(client: Any, db: Any, users: Any) -> None:
    h = {**users.rep.headers, "Idempotency-Key": f"contact-{uuid.uuid4()}"}
    body = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example"}
    first = client.post(URL, headers=h, json=body)
    again = client.post(URL, headers=h, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    count = db.scalar(
        unscoped(
            select(func.count()).select_from(Contact).where(Contact.email == "grace@navy.example")
        )
    )
    assert count == 1


def test_email_unique_among_live_contacts_and_restore_clash(client: Any, users: Any) -> None:
    h = users.admin.headers
    first = client.post(
        URL,
        headers=h,
        json={"first_name": "Tom", "last_name": "Smith", "email": "tom@acme.example"},
    )
    assert first.status_code == 201
    dup = client.post(
        URL,
        headers=h,
        json={"first_name": "Thomas", "last_name": "Smith", "email": "TOM@Acme.Example"},
    )
    assert _field(dup, 409) == "email"
    other = client.post(
        URL, headers=h, json={"first_name": "T", "last_name": "S", "email": "t@acme.example"}
    ).json()
    onto = client.patch(f"{URL}/{other['id']}", headers=h, json={"email": "Tom@acme.example"})
    assert _field(onto, 409) == "email"
    # the same owner may re-send their own email unchanged
    same = client.patch(
        f"{URL}/{first.json()['id']}", headers=h, json={"email": "tom@ACME.example"}
    )
    assert same.status_code == 200 and same.json()["version"] == 1

    assert client.delete(f"{URL}/{first.json()['id']}", headers=h).status_code == 204
    second = client.post(
        URL,
        headers=h,
        json={"first_name": "Tom", "last_name": "Smith 2", "email": "Tom@acme.example"},
    )
    assert second.status_code == 201, second.text
    clash = client.post(f"{URL}/{first.json()['id']}/restore", headers=h)
    assert _field(clash, 409) == "email"
    client.patch(
        f"{URL}/{second.json()['id']}", headers=h, json={"email": "tom.smith@acme.example"}
    )
    restored = client.post(f"{URL}/{first.json()['id']}/restore", headers=h)
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None


def test_unique_index_backs_up_the_email_check(
    client: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests racing past the check: the partial unique index answers, naming the field."""
    h = users.admin.headers
    body = {"first_name": "Race", "last_name": "One", "email": "race@acme.example"}
    first = client.post(URL, headers=h, json=body).json()
    monkeypatch.setattr(ContactService, "holder", lambda self, rule, value, exclude_id: None)
    # the index is on the email's key (nexa.core.text): a fullwidth twin is stopped too
    twin = client.post(URL, headers=h, json={**body, "email": "ＲＡＣＥ@acme.example"})
    assert _field(twin, 409) == "email"
    other = client.post(URL, headers=h, json={**body, "email": "other@acme.example"}).json()
    onto = client.patch(f"{URL}/{other['id']}", headers=h, json={"email": "race@acme.example"})
    assert _field(onto, 409) == "email"
    assert client.delete(f"{URL}/{first['id']}", headers=h).status_code == 204
    assert (
        client.patch(
            f"{URL}/{other['id']}", headers=h, json={"email": "race@acme.example"}
        ).status_code
        == 200
    )
    clash = client.post(f"{URL}/{first['id']}/restore", headers=h)
    assert _field(clash, 409) == "email"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("phone", "call me maybe"),
        ("phone", "12"),
        ("mobile", "+1 555"),
        ("linkedin_url", "ftp://linkedin.com/x"),
        ("lifecycle_stage", "prospect"),
        ("customer_status", "happy"),
        ("tags", ["x" * 51]),
        ("tags", [f"t{i}" for i in range(51)]),
        ("account_id", "not-a-uuid"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    client: Any, users: Any, field: str, value: Any
) -> None:
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={"first_name": "Bad", "last_name": "Value", field: value},
    )
    problem = _problem(r, 422)
    assert problem["errors"][0]["field"].split(".")[0] == field
    assert problem["detail"]


def test_mass_assignment_is_rejected(client: Any, users: Any) -> None:
    h = users.rep.headers
    for field, value in [
        ("id", str(uuid.uuid4())),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("role", "admin"),
        ("is_admin", True),
        ("version", 7),
        ("deleted_at", None),
        ("full_name", "X Y"),
    ]:
        r = client.post(
            URL, headers=h, json={"first_name": "Mass", "last_name": field, field: value}
        )
        assert _field(r, 422) == field
    mine = client.post(URL, headers=h, json={"first_name": "Mine", "last_name": "Only"}).json()
    patched = client.patch(f"{URL}/{mine['id']}", headers=h, json={"version": 99})
    assert _field(patched, 422) == "version"


def test_owner_rules(client: Any, users: Any) -> None:
    h = users.rep.headers
    steal = client.post(
        URL,
        headers=h,
        json={"first_name": "A", "last_name": "B", "owner_id": str(users.other_rep.id)},
    )
    assert _field(steal, 403) == "owner_id"
    mine = client.post(
        URL, headers=h, json={"first_name": "A", "last_name": "B", "owner_id": str(users.rep.id)}
    ).json()
    move = client.patch(f"{URL}/{mine['id']}", headers=h, json={"owner_id": str(users.teammate.id)})
    assert move.status_code == 403
    nobody = client.patch(
        f"{URL}/{mine['id']}", headers=users.manager.headers, json={"owner_id": str(uuid.uuid4())}
    )
    assert _field(nobody, 422) == "owner_id"
    by_manager = client.patch(
        f"{URL}/{mine['id']}",
        headers=users.manager.headers,
        json={"owner_id": str(users.teammate.id)},
    )
    assert by_manager.status_code == 200 and by_manager.json()["owner_id"] == str(users.teammate.id)
    outside = client.patch(
        f"{URL}/{mine['id']}",
        headers=users.manager.headers,
        json={"owner_id": str(users.other_rep.id)},
    )
    assert _field(outside, 403) == "owner_id"
    # the rep no longer owns it, so it is gone from their view
    assert client.get(f"{URL}/{mine['id']}", headers=h).status_code == 404


# ---- links: account and reporting line ---------------------------------------------------


def test_account_link_must_be_visible(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    own = make_account(db, users.rep.actor, name="Rep's Account")
    foreign = make_account(db, users.other_rep.actor, name="Someone Else's")
    db.commit()
    hidden = client.post(
        URL, headers=h, json={"first_name": "A", "last_name": "B", "account_id": str(foreign.id)}
    )
    assert _field(hidden, 422) == "account_id"
    missing = client.post(
        URL, headers=h, json={"first_name": "A", "last_name": "B", "account_id": str(uuid.uuid4())}
    )
    assert _field(missing, 422) == "account_id"
    ok = client.post(
        URL, headers=h, json={"first_name": "A", "last_name": "B", "account_id": str(own.id)}
    )
    assert ok.status_code == 201 and ok.json()["account_id"] == str(own.id)
    relink = client.patch(
        f"{URL}/{ok.json()['id']}", headers=h, json={"account_id": str(foreign.id)}
    )
    assert _field(relink, 422) == "account_id"
    unlink = client.patch(f"{URL}/{ok.json()['id']}", headers=h, json={"account_id": None})
    assert unlink.status_code == 200 and unlink.json()["account_id"] is None
    deleted = make_account(db, users.rep.actor, name="Gone Inc")
    client.delete(f"/api/v1/accounts/{deleted.id}", headers=h)
    to_bin = client.patch(
        f"{URL}/{ok.json()['id']}", headers=h, json={"account_id": str(deleted.id)}
    )
    assert _field(to_bin, 422) == "account_id"


def test_reporting_line_refuses_self_and_cycles(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    ceo = client.post(URL, headers=h, json={"first_name": "Cora", "last_name": "Chief"}).json()
    vp = client.post(
        URL,
        headers=h,
        json={"first_name": "Vic", "last_name": "Veep", "reporting_to_id": ceo["id"]},
    ).json()
    dev = client.post(
        URL, headers=h, json={"first_name": "Dee", "last_name": "Dev", "reporting_to_id": vp["id"]}
    ).json()
    peer = client.post(
        URL,
        headers=h,
        json={"first_name": "Pam", "last_name": "Peer", "reporting_to_id": ceo["id"]},
    ).json()
    assert dev["reporting_to_id"] == vp["id"]

    cycle = client.patch(f"{URL}/{ceo['id']}", headers=h, json={"reporting_to_id": dev["id"]})
    assert _field(cycle, 422) == "reporting_to_id"
    short_cycle = client.patch(f"{URL}/{vp['id']}", headers=h, json={"reporting_to_id": dev["id"]})
    assert _field(short_cycle, 422) == "reporting_to_id"
    itself = client.patch(f"{URL}/{vp['id']}", headers=h, json={"reporting_to_id": vp["id"]})
    assert _field(itself, 422) == "reporting_to_id"
    hidden = make_contact(db, users.other_rep.actor, first_name="Hidden", last_name="Boss")
    db.commit()
    invisible = client.post(
        URL,
        headers=h,
        json={"first_name": "X", "last_name": "Y", "reporting_to_id": str(hidden.id)},
    )
    assert _field(invisible, 422) == "reporting_to_id"
    sideways = client.patch(f"{URL}/{dev['id']}", headers=h, json={"reporting_to_id": peer["id"]})
    assert sideways.status_code == 200

    reports = client.get(f"{URL}/{ceo['id']}/reports", headers=h)
    assert reports.status_code == 200
    assert [c["last_name"] for c in reports.json()["items"]] == ["Peer", "Veep"]
    paged = client.get(
        f"{URL}/{ceo['id']}/reports", headers=h, params={"limit": 1, "fields": "last_name"}
    ).json()
    assert paged["items"] == [{"id": peer["id"], "last_name": "Peer"}] and paged["next_cursor"]
    assert client.get(f"{URL}/{hidden.id}/reports", headers=h).status_code == 404
    assert [
        c["last_name"] for c in client.get(f"{URL}/{vp['id']}/reports", headers=h).json()["items"]
    ] == []


# ---- listing: filters, sorting, cursors, fields -----------------------------------------

PEOPLE = [
    ("Ada", "Adams", "ada@example.com", "subscriber", None, ["vip"]),
    ("Ben", "Baker", "ben@other.org", "lead", "active", []),
    ("Cleo", "Clark", None, "customer", "churned", ["vip", "beta"]),
    ("Dan", "Davis", "dan@example.com", "customer", "inactive", []),
    ("Abe", "Evans", "abe@sample.net", "advocate", "active", ["beta"]),
]


@pytest.fixture
def people(db: Any, users: Any) -> dict[str, Any]:
    account = make_account(db, users.admin.actor, name="Filter Co")
    made = {}
    for first, last, email, stage, status, tags in PEOPLE:
        made[last] = make_contact(
            db,
            users.admin.actor,
            first_name=first,
            last_name=last,
            email=email,
            lifecycle_stage=stage,
            customer_status=status,
            tags=tags,
            account_id=account.id,
            title=f"{first} title",
        )
    make_contact(
        db, users.admin.actor, first_name="Zed", last_name="Elsewhere"
    )  # not at the account
    db.commit()
    return {"account": account, **made}


def _names(
    client: Any, headers: dict[str, str], account: Any, *filters: str, **params: Any
) -> list[str]:
    params = {"filter": [f"account_id:eq:{account.id}", *filters], "limit": 200, **params}
    r = client.get(URL, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [item["last_name"] for item in r.json()["items"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ((), ["Adams", "Baker", "Clark", "Davis", "Evans"]),
        (("last_name:eq:Baker",), ["Baker"]),
        (("lifecycle_stage:ne:customer",), ["Adams", "Baker", "Evans"]),
        (("customer_status:ne:active",), ["Adams", "Clark", "Davis"]),  # ne keeps the empty ones
        (("last_name:lt:Clark",), ["Adams", "Baker"]),
        (("last_name:lte:Clark",), ["Adams", "Baker", "Clark"]),
        (("last_name:gt:Clark",), ["Davis", "Evans"]),
        (("last_name:gte:Davis",), ["Davis", "Evans"]),
        (("created_at:gt:2000-01-01T00:00:00Z",), ["Adams", "Baker", "Clark", "Davis", "Evans"]),
        (("created_at:lt:2000-01-01T00:00:00Z",), []),
        (("lifecycle_stage:in:customer,advocate",), ["Clark", "Davis", "Evans"]),
        (("customer_status:not_in:active,inactive",), ["Adams", "Clark"]),
        (("email:contains:EXAMPLE",), ["Adams", "Davis"]),
        (("title:contains:e_t",), []),  # LIKE wildcards are literal
        (("first_name:starts_with:a",), ["Adams", "Evans"]),
        (("email:is_null:true",), ["Clark"]),
        (("email:is_null:false",), ["Adams", "Baker", "Davis", "Evans"]),
        (("customer_status:is_null:true",), ["Adams"]),
        (("tags:contains:vip",), ["Adams", "Clark"]),
        (("tags:contains:beta", "lifecycle_stage:eq:customer"), ["Clark"]),
        (("full_name:contains:cleo cl",), ["Clark"]),
        (("reporting_to_id:is_null:true", "last_name:in:Adams,Evans"), ["Adams", "Evans"]),
    ],
)
def test_filter_operators(
    client: Any, users: Any, people: dict[str, Any], filters: tuple[str, ...], expected: list[str]
) -> None:
    assert _names(client, users.admin.headers, people["account"], *filters) == expected


def test_filter_by_ids_and_errors(client: Any, users: Any, people: dict[str, Any]) -> None:
    h = users.admin.headers
    acc = people["account"]
    assert _names(client, h, acc, f"id:eq:{people['Clark'].id}") == ["Clark"]
    assert _names(client, h, acc, f"id:in:{people['Clark'].id},{people['Adams'].id}") == [
        "Adams",
        "Clark",
    ]
    assert _names(client, h, acc, f"owner_id:eq:{users.admin.id}") == [
        "Adams",
        "Baker",
        "Clark",
        "Davis",
        "Evans",
    ]
    assert _names(client, h, acc, f"owner_id:ne:{users.admin.id}") == []
    for bad, field in [
        ("lifecycle_stage:eq:prospect", "filter[lifecycle_stage]"),
        ("created_at:gt:yesterday", "filter[created_at]"),
        ("tags:eq:vip", "filter[tags]"),
        ("id:lt:00000000-0000-0000-0000-000000000000", "filter[id]"),
        ("password:eq:x", "filter"),
        ("last_name:like:x", "filter"),
        ("last_name", "filter"),
    ]:
        r = client.get(URL, headers=h, params={"filter": bad})
        assert _field(r, 422) == field, bad


def test_sort_and_cursor_pages(client: Any, users: Any, people: dict[str, Any]) -> None:
    h = users.admin.headers

    def walk(sort: str, limit: int) -> list[str]:
        seen, cursor, pages = [], None, 0
        while True:
            params: dict[str, Any] = {
                "filter": f"account_id:eq:{people['account'].id}",
                "sort": sort,
                "limit": limit,
            }
            if cursor:
                params["cursor"] = cursor
            r = client.get(URL, headers=h, params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= limit
            seen += [i["last_name"] for i in page["items"]]
            cursor, pages = page["next_cursor"], pages + 1
            if not cursor:
                return seen
            assert pages < 10

    assert walk("last_name", 2) == ["Adams", "Baker", "Clark", "Davis", "Evans"]
    assert walk("-last_name", 3) == ["Evans", "Davis", "Clark", "Baker", "Adams"]
    assert walk("-first_name", 2) == ["Davis", "Clark", "Baker", "Adams", "Evans"]
    # empty emails come last in both directions, also across a page boundary
    assert walk("email", 2) == ["Evans", "Adams", "Baker", "Davis", "Clark"]
    assert walk("-email", 2) == ["Davis", "Baker", "Adams", "Evans", "Clark"]
    assert walk("created_at", 2) == ["Adams", "Baker", "Clark", "Davis", "Evans"]
    assert walk("-updated_at", 4) == ["Evans", "Davis", "Clark", "Baker", "Adams"]
    stages = walk("lifecycle_stage", 1)
    assert (
        stages[0] == "Evans"
        and set(stages[1:3]) == {"Clark", "Davis"}
        and stages[3:] == ["Baker", "Adams"]
    )
    assert _names(client, h, people["account"]) == walk("last_name", 50)  # the default sort

    for bad in ("phone", "-tags", "password"):
        r = client.get(URL, headers=h, params={"sort": bad})
        assert _field(r, 422) == "sort"
    assert _field(client.get(URL, headers=h, params={"cursor": "garbage"}), 422) == "cursor"


def test_fields_selection(client: Any, users: Any, people: dict[str, Any]) -> None:
    h = users.admin.headers
    params = {"filter": f"id:eq:{people['Adams'].id}", "fields": "first_name,email,full_name,tags"}
    item = client.get(URL, headers=h, params=params).json()["items"][0]
    assert item == {
        "id": str(people["Adams"].id),
        "first_name": "Ada",
        "email": "ada@example.com",
        "full_name": "Ada Adams",
        "tags": ["vip"],
    }
    r = client.get(URL, headers=h, params={"fields": "first_name,password_hash"})
    assert _field(r, 422) == "fields"


def test_list_is_scoped_to_the_actor(client: Any, db: Any, users: Any) -> None:
    mine = make_contact(db, users.rep.actor, last_name="Mine")
    theirs = make_contact(db, users.other_rep.actor, last_name="Theirs")
    teammates = make_contact(db, users.teammate.actor, last_name="Teammate's")
    db.commit()
    ids = f"id:in:{mine.id},{theirs.id},{teammates.id}"

    def visible(person: Any) -> set[str]:
        r = client.get(URL, headers=person.headers, params={"filter": ids})
        assert r.status_code == 200, r.text
        return {i["last_name"] for i in r.json()["items"]}

    assert visible(users.rep) == {"Mine"}
    assert visible(users.manager) == {"Mine", "Teammate's"}
    assert visible(users.admin) == {"Mine", "Theirs", "Teammate's"}
    assert client.get(f"{URL}/{theirs.id}", headers=users.rep.headers).status_code == 404
    assert (
        client.patch(
            f"{URL}/{theirs.id}", headers=users.rep.headers, json={"title": "x"}
        ).status_code
        == 404
    )
    # support agents read everything and fix contact details, but create and delete nothing
    assert (
        client.patch(
            f"{URL}/{theirs.id}", headers=users.support.headers, json={"title": "Fixed"}
        ).status_code
        == 200
    )
    refused = client.post(
        URL, headers=users.support.headers, json={"first_name": "N", "last_name": "O"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "you may not create contacts"
    assert client.delete(f"{URL}/{theirs.id}", headers=users.support.headers).status_code == 403


# ---- concurrency, bin, audit and timeline -----------------------------------------------


def test_if_match_and_etag(client: Any, users: Any) -> None:
    h = users.rep.headers
    c = client.post(URL, headers=h, json={"first_name": "Ed", "last_name": "Etag"}).json()
    ok = client.patch(f"{URL}/{c['id']}", headers={**h, "If-Match": '"1"'}, json={"title": "CFO"})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"' and ok.json()["version"] == 2
    stale = client.patch(
        f"{URL}/{c['id']}", headers={**h, "If-Match": '"1"'}, json={"title": "CEO"}
    )
    assert _field(stale, 412) == "If-Match"
    garbage = client.patch(
        f"{URL}/{c['id']}", headers={**h, "If-Match": "nonsense"}, json={"title": "CEO"}
    )
    assert garbage.status_code == 412
    assert client.get(f"{URL}/{c['id']}", headers=h).json()["title"] == "CFO"
    unchanged = client.patch(
        f"{URL}/{c['id']}", headers={**h, "If-Match": '"2"'}, json={"title": "CFO"}
    )
    assert unchanged.status_code == 200 and unchanged.headers["etag"] == '"2"'
    assert client.delete(f"{URL}/{c['id']}", headers={**h, "If-Match": '"1"'}).status_code == 412
    assert client.delete(f"{URL}/{c['id']}", headers={**h, "If-Match": '"2"'}).status_code == 204


def test_soft_delete_restore_audit_and_timeline(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    c = client.post(
        URL, headers=h, json={"first_name": "Tim", "last_name": "Line", "title": "Buyer"}
    ).json()
    cid = uuid.UUID(c["id"])
    client.patch(
        f"{URL}/{cid}", headers=h, json={"title": "Head buyer", "lifecycle_stage": "customer"}
    )
    assert client.delete(f"{URL}/{cid}", headers=h).status_code == 204
    assert client.get(f"{URL}/{cid}", headers=h).status_code == 404
    assert client.patch(f"{URL}/{cid}", headers=h, json={"title": "x"}).status_code == 404
    live = client.get(URL, headers=h, params={"filter": f"id:eq:{cid}"}).json()["items"]
    assert live == []
    binned = client.get(URL, headers=h, params={"deleted": "true"}).json()["items"]
    assert [i["id"] for i in binned] == [str(cid)] and binned[0]["deleted_at"] is not None
    restored = client.post(f"{URL}/{cid}/restore", headers=h)
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert client.get(f"{URL}/{cid}", headers=h).json()["title"] == "Head buyer"
    assert client.get(URL, headers=h, params={"deleted": "true"}).json()["items"] == []
    assert (
        client.post(f"{URL}/{cid}/restore", headers=h).status_code == 200
    )  # restoring twice is harmless

    audit = db.scalars(
        select(AuditEntry).where(AuditEntry.record_id == cid).order_by(AuditEntry.occurred_at)
    ).all()
    assert {(a.event, a.field) for a in audit} == {
        ("contact.created", None),
        ("contact.updated", "title"),
        ("contact.updated", "lifecycle_stage"),
        ("contact.deleted", "deleted_at"),
        ("contact.restored", "deleted_at"),
    }
    title = next(a for a in audit if a.field == "title")
    assert (title.old_value, title.new_value, title.actor_id) == (
        "Buyer",
        "Head buyer",
        users.rep.id,
    )
    assert all(a.record_type == "contact" for a in audit)
    timeline = db.scalars(
        select(Activity).where(Activity.record_id == cid).order_by(Activity.occurred_at)
    ).all()
    assert [t.event for t in timeline] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "contact.restored",
    ]
    assert all("Tim Line" in t.summary for t in timeline)
    outbox = db.scalars(select(OutboxMessage).where(OutboxMessage.record_id == cid)).all()
    assert sorted(o.event for o in outbox) == sorted(t.event for t in timeline)
    assert all(o.payload["name"] == "Tim Line" for o in outbox)


def test_failed_request_leaves_no_trace(client: Any, db: Any, users: Any) -> None:
    """The service changes the row, then refuses a custom value: nothing is kept."""
    h = users.rep.headers
    c = client.post(
        URL, headers=h, json={"first_name": "Roll", "last_name": "Back", "title": "Before"}
    ).json()
    r = client.patch(
        f"{URL}/{c['id']}", headers=h, json={"title": "After", "custom_fields": {"nope": 1}}
    )
    assert _field(r, 422) == "custom_fields.nope"
    assert client.get(f"{URL}/{c['id']}", headers=h).json()["title"] == "Before"
    cid = uuid.UUID(c["id"])
    assert (
        db.scalars(
            select(AuditEntry).where(AuditEntry.record_id == cid, AuditEntry.field == "title")
        ).all()
        == []
    )
    assert [a.event for a in db.scalars(select(Activity).where(Activity.record_id == cid))] == [
        "contact.created"
    ]


def test_rolled_back_service_call_leaves_no_audit_timeline_or_outbox(db: Any, users: Any) -> None:
    actor = users.rep.actor
    kept = create_contact(db, actor, ContactCreate(first_name="Kept", last_name="Contact"))
    nested = db.begin_nested()
    gone = create_contact(db, actor, ContactCreate(first_name="Gone", last_name="Contact"))
    update_contact(db, actor, kept.id, ContactUpdate(title="Never"))
    db.flush()
    ids = [gone.id, kept.id]
    assert (
        db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.record_id.in_(ids)))
        == 3
    )
    nested.rollback()

    for model in (AuditEntry, Activity, OutboxMessage):
        assert db.scalars(select(model).where(model.record_id == gone.id)).all() == [], model
        events = {row.event for row in db.scalars(select(model).where(model.record_id == kept.id))}
        assert events == {"contact.created"}, model
    still = db.scalar(
        unscoped(select(func.count()).select_from(Contact).where(Contact.id == gone.id))
    )
    assert still == 0


# ---- performance -----------------------------------------------------------------------


@contextmanager
def _count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_pages_cost_a_constant_number_of_queries(client: Any, db: Any, users: Any) -> None:
    boss = make_contact(db, users.rep.actor, last_name="Boss")
    for i in range(25):
        make_contact(
            db,
            users.rep.actor,
            last_name=f"Member {i:02d}",
            reporting_to_id=boss.id,
            tags=["team"],
            email=f"member{i}@example.com",
        )
    db.commit()
    h = users.rep.headers
    for path, params in [
        (URL, {"filter": "tags:contains:team", "sort": "email"}),
        (f"{URL}/{boss.id}/reports", {}),
    ]:
        client.get(path, headers=h, params={**params, "limit": 1})  # warm up per-process caches
        counts = []
        for limit in (1, 10, 25):
            with _count_queries() as statements:
                r = client.get(path, headers=h, params={**params, "limit": limit})
            assert r.status_code == 200 and len(r.json()["items"]) == limit
            counts.append(len(statements))
        assert len(set(counts)) == 1, (path, counts)
