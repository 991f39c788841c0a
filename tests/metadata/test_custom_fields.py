"""Custom fields: admins define typed fields; values are validated, stored, filtered, sorted
on contacts and accounts alike."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.audit import AuditEntry

DEFS = "/api/v1/custom-fields"
OBJECTS = ["contact", "account"]

FIELDS: list[tuple[str, str, list[str]]] = [
    ("nickname", "text", []),
    ("score", "number", []),
    ("budget", "money", []),
    ("renewal", "date", []),
    ("active", "boolean", []),
    ("segment", "select", ["smb", "mid", "ent"]),
    ("channels", "multiselect", ["email", "phone", "event"]),
    ("billing_email", "email", []),
    ("portal", "url", []),
]


def define(
    client: Any,
    person: Any,
    obj: str,
    key: str,
    field_type: str,
    options: list[str] | None = None,
    **extra: Any,
) -> Any:
    body = {
        "object_type": obj,
        "key": key,
        "label": key.replace("_", " ").title(),
        "field_type": field_type,
        "options": options or [],
        **extra,
    }
    return client.post(DEFS, headers=person.headers, json=body)


def define_all(client: Any, users: Any, obj: str) -> None:
    for key, field_type, options in FIELDS:
        r = define(client, users.admin, obj, key, field_type, options)
        assert r.status_code == 201, r.text


def _path(obj: str) -> str:
    return f"/api/v1/{obj}s"


def _name_field(obj: str) -> str:
    return "last_name" if obj == "contact" else "name"


def create(
    client: Any, users: Any, obj: str, name: str, custom: dict[str, Any] | None = None
) -> Any:
    body: dict[str, Any] = (
        {"name": name} if obj == "account" else {"first_name": "Cf", "last_name": name}
    )
    if custom is not None:
        body["custom_fields"] = custom
    return client.post(_path(obj), headers=users.admin.headers, json=body)


def _problem_fields(response: Any, status: int = 422) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


# ---- definitions ---------------------------------------------------------------------------


@pytest.mark.parametrize("obj", OBJECTS)
def test_admin_defines_every_type(client: Any, users: Any, obj: str) -> None:
    for position, (key, field_type, options) in enumerate(FIELDS):
        r = define(client, users.admin, obj, key, field_type, options, position=position)
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["object_type"], body["key"], body["field_type"], body["options"]) == (
            obj,
            key,
            field_type,
            options,
        )
        assert body["required"] is False and body["archived"] is False and body["version"] == 1
    listed = client.get(DEFS, headers=users.rep.headers, params={"object_type": obj})
    assert listed.status_code == 200
    assert [d["key"] for d in listed.json()] == [key for key, _, _ in FIELDS]
    other = "account" if obj == "contact" else "contact"
    assert client.get(DEFS, headers=users.rep.headers, params={"object_type": other}).json() == []


def test_only_admins_define_or_change_fields(client: Any, users: Any) -> None:
    for person in (users.rep, users.manager, users.marketer, users.read_only):
        r = define(client, person, "contact", "forbidden", "text")
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
    made = define(client, users.admin, "contact", "allowed", "text").json()
    relabel = client.patch(
        f"{DEFS}/{made['id']}", headers=users.rep.headers, json={"label": "Mine now"}
    )
    assert relabel.status_code == 403
    ok = client.patch(
        f"{DEFS}/{made['id']}", headers=users.admin.headers, json={"label": "Allowed field"}
    )
    assert (
        ok.status_code == 200
        and ok.json()["label"] == "Allowed field"
        and ok.json()["key"] == "allowed"
    )


def test_definition_errors(client: Any, users: Any) -> None:
    assert define(client, users.admin, "contact", "region", "text").status_code == 201
    dup = define(client, users.admin, "contact", "region", "number")
    assert _problem_fields(dup, 409) == ["key"]
    assert define(client, users.admin, "account", "region", "text").status_code == 201  # per object
    assert _problem_fields(define(client, users.admin, "contact", "size", "select")) == ["options"]
    assert _problem_fields(
        define(client, users.admin, "contact", "size", "select", ["s", "s"])
    ) == ["options"]
    assert _problem_fields(define(client, users.admin, "contact", "Bad Key", "text")) == ["key"]
    assert _problem_fields(define(client, users.admin, "contact", "colour", "rgb")) == [
        "field_type"
    ]
    assert _problem_fields(define(client, users.admin, "ticket", "colour", "text")) == [
        "object_type"
    ]
    sneaky = client.post(
        DEFS,
        headers=users.admin.headers,
        json={
            "object_type": "contact",
            "key": "k",
            "label": "K",
            "field_type": "text",
            "id": str(uuid.uuid4()),
        },
    )
    assert _problem_fields(sneaky) == ["id"]


# ---- values --------------------------------------------------------------------------------

BAD_VALUES = [
    ("nickname", 5),
    ("nickname", "x" * 10_001),
    ("score", "lots"),
    ("score", True),
    ("score", "1e20"),
    ("budget", "cheap"),
    ("renewal", "2027-02-30"),
    ("renewal", 20270201),
    ("active", "yes"),
    ("segment", "huge"),
    ("channels", "email"),
    ("channels", ["email", "pigeon"]),
    ("billing_email", "not-an-email"),
    ("portal", "javascript:alert(1)"),
    ("no_such_field", "x"),
]


@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_wrong_values_are_422_naming_the_field(
    client: Any, users: Any, obj: str, key: str, value: Any
) -> None:
    define_all(client, users, obj)
    r = create(client, users, obj, "Bad Value", {key: value})
    assert _problem_fields(r) == [f"custom_fields.{key}"]
    assert r.json()["detail"].startswith(f"custom_fields.{key}")


@pytest.mark.parametrize("obj", OBJECTS)
def test_every_error_is_reported_at_once_and_patch_is_validated(
    client: Any, users: Any, obj: str
) -> None:
    define_all(client, users, obj)
    r = create(client, users, obj, "Many Errors", {"score": "x", "active": 1, "segment": "nope"})
    assert sorted(_problem_fields(r)) == [
        "custom_fields.active",
        "custom_fields.score",
        "custom_fields.segment",
    ]
    made = create(client, users, obj, "Valid", {"score": 1}).json()
    bad = client.patch(
        f"{_path(obj)}/{made['id']}",
        headers=users.admin.headers,
        json={"custom_fields": {"score": []}},
    )
    assert _problem_fields(bad) == ["custom_fields.score"]
    assert client.get(f"{_path(obj)}/{made['id']}", headers=users.admin.headers).json()[
        "custom_fields"
    ] == {"score": 1}


@pytest.mark.parametrize("obj", OBJECTS)
def test_values_are_normalised_stored_and_returned(
    client: Any, db: Any, users: Any, obj: str
) -> None:
    define_all(client, users, obj)
    r = create(
        client,
        users,
        obj,
        "Stored",
        {
            "nickname": "Ace",
            "score": 42.5,
            "budget": {"amount": "1234.5", "currency": "USD"},
            "renewal": "2027-03-01",
            "active": True,
            "segment": "mid",
            "channels": ["event", "email", "event"],
            "billing_email": "Billing@Acme.Example",
            "portal": "portal.acme.example",
        },
    )
    assert r.status_code == 201, r.text
    expected = {
        "nickname": "Ace",
        "score": 42.5,
        "budget": "1234.50",
        "renewal": "2027-03-01",
        "active": True,
        "segment": "mid",
        "channels": ["event", "email"],
        "billing_email": "billing@acme.example",
        "portal": "https://portal.acme.example",
    }
    assert r.json()["custom_fields"] == expected
    url = f"{_path(obj)}/{r.json()['id']}"
    assert client.get(url, headers=users.admin.headers).json()["custom_fields"] == expected

    patched = client.patch(
        url, headers=users.admin.headers, json={"custom_fields": {"score": 7, "nickname": None}}
    )
    assert patched.status_code == 200, patched.text
    after = {k: v for k, v in expected.items() if k != "nickname"} | {"score": 7}
    assert patched.json()["custom_fields"] == after
    assert client.get(url, headers=users.admin.headers).json()["custom_fields"] == after
    audit = {
        a.field: (a.old_value, a.new_value)
        for a in db.scalars(
            select(AuditEntry).where(
                AuditEntry.record_id == uuid.UUID(r.json()["id"]),
                AuditEntry.event == f"{obj}.updated",
            )
        )
    }
    assert audit == {"custom.score": (42.5, 7), "custom.nickname": ("Ace", None)}
    untouched = client.patch(url, headers=users.admin.headers, json={"custom_fields": {"score": 7}})
    assert untouched.json()["version"] == patched.json()["version"]


@pytest.mark.parametrize("obj", OBJECTS)
def test_required_fields_are_enforced(client: Any, users: Any, obj: str) -> None:
    assert (
        define(
            client, users.admin, obj, "region", "select", ["emea", "amer"], required=True
        ).status_code
        == 201
    )
    assert _problem_fields(create(client, users, obj, "No Region")) == ["custom_fields.region"]
    assert _problem_fields(create(client, users, obj, "Empty Region", {"region": None})) == [
        "custom_fields.region"
    ]
    made = create(client, users, obj, "Has Region", {"region": "emea"})
    assert made.status_code == 201, made.text
    url = f"{_path(obj)}/{made.json()['id']}"
    cleared = client.patch(
        url, headers=users.admin.headers, json={"custom_fields": {"region": None}}
    )
    assert _problem_fields(cleared) == ["custom_fields.region"]
    other_change = client.patch(url, headers=users.admin.headers, json={"custom_fields": {}})
    assert other_change.status_code == 200 and other_change.json()["custom_fields"] == {
        "region": "emea"
    }


@pytest.mark.parametrize("obj", OBJECTS)
def test_archived_fields_take_no_new_values(client: Any, users: Any, obj: str) -> None:
    made = define(client, users.admin, obj, "legacy", "text").json()
    record = create(client, users, obj, "Legacy", {"legacy": "old"}).json()
    archived = client.patch(
        f"{DEFS}/{made['id']}", headers=users.admin.headers, json={"archived": True}
    )
    assert archived.status_code == 200 and archived.json()["archived"] is True
    url = f"{_path(obj)}/{record['id']}"
    refused = client.patch(
        url, headers=users.admin.headers, json={"custom_fields": {"legacy": "new"}}
    )
    assert _problem_fields(refused) == ["custom_fields.legacy"]
    assert client.get(url, headers=users.admin.headers).json()["custom_fields"] == {"legacy": "old"}
    unknown = client.get(
        _path(obj), headers=users.admin.headers, params={"filter": "custom.legacy:eq:old"}
    )
    assert _problem_fields(unknown) == ["filter"]


# ---- filtering and sorting -----------------------------------------------------------------

ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "Cf Alpha",
        {
            "nickname": "Ace",
            "score": 50,
            "budget": "1500",
            "renewal": "2027-01-15",
            "active": True,
            "segment": "smb",
            "channels": ["email", "phone"],
        },
    ),
    (
        "Cf Bravo",
        {
            "nickname": "bravo",
            "score": 5.5,
            "budget": "999.99",
            "renewal": "2026-12-31",
            "active": False,
            "segment": "mid",
            "channels": ["event"],
        },
    ),
    (
        "Cf Charlie",
        {
            "score": 12,
            "renewal": "2027-06-01",
            "active": True,
            "segment": "ent",
            "channels": ["email"],
        },
    ),
    ("Cf Delta", {}),
]


@pytest.fixture
def records(client: Any, users: Any, request: pytest.FixtureRequest) -> str:
    obj: str = request.param
    define_all(client, users, obj)
    create(client, users, "account" if obj == "contact" else "contact", "Cf Other Object", {})
    for name, custom in ROWS:
        r = create(client, users, obj, name, custom)
        assert r.status_code == 201, r.text
    return obj


def names(client: Any, users: Any, obj: str, *filters: str, **params: Any) -> list[str]:
    query = {"filter": [f"{_name_field(obj)}:starts_with:Cf ", *filters], "limit": 100, **params}
    r = client.get(_path(obj), headers=users.admin.headers, params=query)
    assert r.status_code == 200, r.text
    return [item[_name_field(obj)] for item in r.json()["items"]]


@pytest.mark.parametrize("records", OBJECTS, indirect=True)
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("custom.segment:eq:mid",), ["Cf Bravo"]),
        (("custom.segment:ne:mid",), ["Cf Alpha", "Cf Charlie", "Cf Delta"]),
        (("custom.segment:in:smb,ent",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.segment:not_in:smb,ent",), ["Cf Bravo", "Cf Delta"]),
        (("custom.nickname:eq:Ace",), ["Cf Alpha"]),
        (("custom.nickname:contains:RAV",), ["Cf Bravo"]),
        (("custom.nickname:starts_with:a",), ["Cf Alpha"]),
        (("custom.score:gt:10",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.score:gte:12",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.score:lt:12",), ["Cf Bravo"]),
        (("custom.score:lte:12",), ["Cf Bravo", "Cf Charlie"]),
        (("custom.score:eq:5.5",), ["Cf Bravo"]),
        (("custom.budget:gte:1000",), ["Cf Alpha"]),
        (("custom.budget:lt:1000.00",), ["Cf Bravo"]),
        (("custom.renewal:gt:2027-01-01",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.renewal:lte:2027-01-15",), ["Cf Alpha", "Cf Bravo"]),
        (("custom.renewal:eq:2026-12-31",), ["Cf Bravo"]),
        (("custom.active:eq:true",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.active:eq:false",), ["Cf Bravo"]),
        (("custom.channels:contains:email",), ["Cf Alpha", "Cf Charlie"]),
        (("custom.channels:contains:event",), ["Cf Bravo"]),
        (("custom.channels:contains:phone", "custom.score:gt:40"), ["Cf Alpha"]),
        (("custom.score:is_null:true",), ["Cf Delta"]),
        (("custom.score:is_null:false",), ["Cf Alpha", "Cf Bravo", "Cf Charlie"]),
        (("custom.nickname:is_null:true",), ["Cf Charlie", "Cf Delta"]),
        (("custom.channels:is_null:true",), ["Cf Delta"]),
    ],
)
def test_filter_on_custom_fields(
    client: Any, users: Any, records: str, filters: tuple[str, ...], expected: list[str]
) -> None:
    assert sorted(names(client, users, records, *filters)) == expected


@pytest.mark.parametrize("records", OBJECTS, indirect=True)
def test_bad_custom_filters(client: Any, users: Any, records: str) -> None:
    for bad, field in [
        ("custom.segment:eq:huge", "filter[custom.segment]"),
        ("custom.score:gt:many", "filter[custom.score]"),
        ("custom.renewal:gt:soon", "filter[custom.renewal]"),
        ("custom.active:eq:maybe", "filter[custom.active]"),
        ("custom.active:gt:true", "filter[custom.active]"),
        ("custom.channels:eq:email", "filter[custom.channels]"),
        ("custom.nope:eq:x", "filter"),
    ]:
        r = client.get(_path(records), headers=users.admin.headers, params={"filter": bad})
        assert _problem_fields(r) == [field], bad


@pytest.mark.parametrize("records", OBJECTS, indirect=True)
def test_sort_by_custom_fields_with_cursor(client: Any, users: Any, records: str) -> None:
    obj = records

    def walk(sort: str, limit: int) -> list[str]:
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            params: dict[str, Any] = {"sort": sort, "limit": limit}
            if cursor:
                params["cursor"] = cursor
            page = client.get(
                _path(obj),
                headers=users.admin.headers,
                params={"filter": f"{_name_field(obj)}:starts_with:Cf ", **params},
            )
            assert page.status_code == 200, page.text
            seen += [i[_name_field(obj)] for i in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return seen
        raise AssertionError("cursor never ended")

    assert walk("custom.score", 1) == ["Cf Bravo", "Cf Charlie", "Cf Alpha", "Cf Delta"]
    assert walk("-custom.score", 2) == ["Cf Alpha", "Cf Charlie", "Cf Bravo", "Cf Delta"]
    by_budget = walk("custom.budget", 1)
    assert by_budget[:2] == ["Cf Bravo", "Cf Alpha"] and set(by_budget[2:]) == {
        "Cf Charlie",
        "Cf Delta",
    }
    assert walk("custom.renewal", 2) == ["Cf Bravo", "Cf Alpha", "Cf Charlie", "Cf Delta"]
    assert walk("-custom.renewal", 1) == ["Cf Charlie", "Cf Alpha", "Cf Bravo", "Cf Delta"]
    assert walk("custom.segment", 3) == ["Cf Charlie", "Cf Bravo", "Cf Alpha", "Cf Delta"]
    assert walk("custom.nickname", 1)[:2] == ["Cf Alpha", "Cf Bravo"]
    bad = client.get(_path(obj), headers=users.admin.headers, params={"sort": "custom.channels"})
    assert _problem_fields(bad) == ["sort"]


@pytest.mark.parametrize("records", OBJECTS, indirect=True)
def test_select_custom_fields(client: Any, users: Any, records: str) -> None:
    obj = records
    params = {
        "filter": f"{_name_field(obj)}:eq:Cf Alpha",
        "fields": f"{_name_field(obj)},custom.score,custom.segment",
    }
    items = client.get(_path(obj), headers=users.admin.headers, params=params).json()["items"]
    assert len(items) == 1
    item = items[0]
    assert set(item) == {"id", _name_field(obj), "custom_fields"}
    assert item["custom_fields"] == {"score": 50, "segment": "smb"}
