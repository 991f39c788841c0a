"""Malformed input that used to reach a 500 (hardening, point 5) and control characters in
one-line fields (point 10): each answers 422 naming the field, on the routes where they were
seen — the public web form, the import API, sorted lists — and, through the hostile-input
suite (test_hostile_input.py), on every other route."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from nexa.core.jsonbody import MAX_JSON_DEPTH, too_deep
from tests.factories.account import make_account
from tests.factories.lead import make_web_form

DEEP_ARRAYS = "[" * 5000 + "]" * 5000
DEEP_OBJECTS = '{"a":' * 5000 + "1" + "}" * 5000


def _deep_error(r: Any) -> None:
    assert r.status_code == 422, r.text[:300]
    error = r.json()["errors"][0]
    assert error["field"] == "body" and "nested deeper than" in error["message"]


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_deep_json_on_the_public_form_and_imports_is_a_422(
    client: Any, db: Any, users: Any, body: str
) -> None:
    form = make_web_form(db)
    db.commit()
    json_type = {"Content-Type": "application/json"}
    _deep_error(client.post(f"/forms/{form.slug}", content=body, headers=json_type))
    _deep_error(
        client.post("/api/v1/imports", content=body, headers=users.admin.headers | json_type)
    )
    _deep_error(
        client.post("/api/v1/accounts", content=body, headers=users.admin.headers | json_type)
    )


def test_json_within_the_limit_still_reaches_the_route(client: Any, users: Any) -> None:
    nested = {"name": "Deep Enough Ltd", "custom_fields": {}}
    assert (
        client.post("/api/v1/accounts", headers=users.admin.headers, json=nested).status_code == 201
    )
    assert not too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert too_deep("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert too_deep("[" * 5000)  # unbalanced: the parser would recurse as deep
    assert not too_deep(json.dumps({"csv": "[" * 5000, "rows": [[i] for i in range(500)]}))


def _cursor(value: Any) -> str:
    raw = json.dumps([value, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "sort", "value"),
    [
        ("/api/v1/accounts", "employees", int("9" * 26)),
        ("/api/v1/deals", "amount", int("9" * 26)),
        ("/api/v1/deals", "close_date", 12),
        ("/api/v1/accounts", "name", {"nested": [1]}),
        ("/accounts", "employees", int("9" * 26)),
    ],
)
def test_a_forged_cursor_is_a_422_naming_the_cursor(
    client: Any, db: Any, users: Any, path: str, sort: str, value: Any
) -> None:
    make_account(db, employees=10)
    db.commit()
    params = {"sort": sort, "cursor": _cursor(value)}
    if path.startswith("/api/"):
        r = client.get(path, headers=users.admin.headers, params=params)
        assert r.status_code == 422, r.text[:300]
        assert r.json()["errors"][0]["field"] == "cursor"
    else:
        from tests.web.conftest import sign_in

        sign_in(client, users.admin)
        r = client.get(path, params=params)
        assert r.status_code == 422 and "cursor" in r.text


def test_a_real_cursor_still_pages(client: Any, db: Any, users: Any) -> None:
    for n in range(3):
        make_account(db, employees=10 + n)
    db.commit()
    h = users.admin.headers
    first = client.get("/api/v1/accounts", headers=h, params={"sort": "employees", "limit": 2})
    assert first.status_code == 200 and first.json()["next_cursor"]
    cursor = first.json()["next_cursor"]
    second = client.get(
        "/api/v1/accounts", headers=h, params={"sort": "employees", "limit": 2, "cursor": cursor}
    )
    assert second.status_code == 200 and len(second.json()["items"]) == 1


@pytest.mark.parametrize(
    "name", ["Acme\r\nBcc: x@example.com", "Acme\x07", "Acme \x1b[31mred", "Acme\u2028Ltd"]
)
def test_control_characters_in_a_one_line_field_are_refused(
    client: Any, users: Any, name: str
) -> None:
    r = client.post("/api/v1/accounts", headers=users.admin.headers, json={"name": name})
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "name" and "one line" in error["message"]


def test_the_public_form_refuses_a_line_break_in_a_name(client: Any, db: Any) -> None:
    form = make_web_form(db)
    db.commit()
    r = client.post(
        f"/forms/{form.slug}",
        json={"last_name": "Smith\r\nBcc: victim@example.com", "email": "crlf@example.com"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "last_name"


def test_multi_line_fields_keep_their_lines_but_not_escape_codes(client: Any, users: Any) -> None:
    h = users.admin.headers
    body = {"name": "Lines Ltd", "description": "first line\r\nsecond line\n\tindented"}
    r = client.post("/api/v1/accounts", headers=h, json=body)
    assert r.status_code == 201 and r.json()["description"] == body["description"]
    r = client.post(
        "/api/v1/accounts", headers=h, json={"name": "Esc Ltd", "description": "\x1b[2J"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "description"


def test_a_nul_in_the_address_or_a_form_is_a_422_on_both_databases(client: Any, users: Any) -> None:
    """PostgreSQL refuses NUL in any text it is sent (a 500 there, found by the hostile-input
    suite run on PostgreSQL): a slug, a role name, a saved view's name."""
    r = client.get("/forms/demo%00x")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path"
    r = client.get("/api/v1/accounts", headers=users.admin.headers, params={"q": "a\x00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query"
    from tests.web.conftest import form_post, sign_in

    csrf = sign_in(client, users.admin)
    r = form_post(client, "/accounts/views", csrf, {"name": "mine\x00"})
    assert r.status_code == 422 and "NUL" in r.text
    r = form_post(client, "/accounts/views", csrf, {"name": "mine\r\nBcc: x"})
    assert r.status_code == 422 and "one line" in r.text
