"""Hostile input against every route: no request answers a 5xx.

Schemathesis sends what the OpenAPI document describes; what it does not describe is what
breaks servers (JSON nested 5,000 deep, a 26-digit integer in a cursor). This suite sends
that, to every route the application serves — the API's operations from its OpenAPI
document, the web UI's routes and the public ones (the web-to-lead form, /health) —
enumerated at run time, so a route added later is swept too. Unauthenticated first, then
as an admin (an API key of every scope; a signed-in web session with its CSRF token), so
that a refusal is not merely "who are you".

Inputs per route (the random parts come from ``random.Random(SEED)``, a fixed seed):

- unauthenticated, 3: JSON nested 5,000 deep; a body that is not UTF-8; the first path
  parameter 5,000 characters long;
- with a body (POST, PUT, PATCH, DELETE), 9: arrays nested 5,000 deep; objects nested 5,000
  deep; JSON that is not UTF-8; then a body of every field the operation declares (the
  web's common form fields for UI routes), its text holding a NUL byte; CR/LF, BEL and ESC;
  100,000 characters; its numbers 10^26; -10^26; 1e400;
- reading (GET) with a ``cursor`` parameter, 8: a cursor carrying a 26-digit integer, with
  each of 7 sort fields and without one;
- reading (GET), 2: filters with 30-digit and 1e400 numbers, a NUL byte and ESC, a
  30-digit limit, a 5,000-character sort; a query string that is not UTF-8;
- with path parameters, 2: a path parameter holding NUL and ESC; a 40-digit one.

At most 24 inputs per route. Each must answer below 500; the test lists every route and
input that did not.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead, make_web_form
from tests.factories.task import make_task
from tests.web.conftest import sign_in
from tests.web.test_csrf_sweep import PARAM, _route_contexts, _web_app

pytestmark = pytest.mark.hostile

SEED = 20261207
CHUNKS = 12
DEEP = 5_000
LONG = 100_000
HUGE = 10**26
WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}
SORTS = ("employees", "amount", "-amount", "annual_revenue", "score", "close_date", "name")
SKIP_WEB = {("POST", "/logout")}  # would end the session the rest of the chunk uses
# The web's form fields, for UI routes (their forms are not described anywhere else).
WEB_FIELDS = (
    "name", "first_name", "last_name", "email", "company", "title", "phone", "website",
    "amount", "quantity", "unit_price", "discount", "employees", "annual_revenue",
    "probability", "description", "body", "subject", "close_date", "currency", "value",
    "filter", "q", "full_name", "timezone", "label", "key", "stage", "status",
)  # fmt: skip


@dataclass(frozen=True)
class Route:
    kind: str  # "api" (with a key), "web" (with a session) or "public"
    method: str
    path: str
    body_schema: dict[str, Any] | None = None
    has_cursor: bool = False


def _api_routes(app: Any) -> list[Route]:
    spec = app.openapi()
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            names = {p.get("name") for p in op.get("parameters", [])}
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            kind = "api" if path.startswith("/api/") else "public"
            found.append(
                Route(kind, method.upper(), path, _resolve(spec, schema), "cursor" in names)
            )
    return found


def _web_routes(app: Any) -> list[Route]:
    found = []
    for route in _route_contexts(_web_app(app).routes):
        path = getattr(route, "path", None)
        for method in sorted(getattr(route, "methods", None) or ()):
            if not path or method == "HEAD" or (method, path) in SKIP_WEB:
                continue
            found.append(Route("web", method, path, None, "{" not in path))
    return found


def _resolve(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > 4:
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(spec, spec["components"]["schemas"][name], depth + 1)
    out = dict(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [_resolve(spec, s, depth + 1) for s in out[key]]
    if "items" in out:
        out["items"] = _resolve(spec, out["items"], depth + 1)
    if "properties" in out:
        out["properties"] = {k: _resolve(spec, v, depth + 1) for k, v in out["properties"].items()}
    return out


# ---- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    text: str
    number: Any  # an int, or "1e400" written into the JSON as it is


EXPONENT = "__EXPONENT__"


def _variants() -> list[Variant]:
    rng = random.Random(SEED)
    salt = "".join(rng.choice("abcdefghij") for _ in range(6))
    return [
        Variant("NUL byte", f"a{salt}\x00b", 1),
        Variant("CR/LF, BEL, ESC", f"Ann {salt}\r\nBcc: x@example.com\x07\x1b[31m", 1),
        Variant("100,000 characters", salt + "x" * LONG, 1),
        Variant("10^26", f"plain {salt}", HUGE),
        Variant("-10^26", f"plain {salt}", -HUGE),
        Variant("1e400", f"plain {salt}", EXPONENT),
    ]


def _value(schema: Any, v: Variant, ids: dict[str, str], name: str, depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > 3:
        return v.text
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _value(options[0] if options else {}, v, ids, name, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind in ("integer", "number"):
        return v.number
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value(schema.get("items", {}), v, ids, name, depth + 1)]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _value(s, v, ids, k, depth + 1) for k, s in props.items()}
    if fmt == "uuid":
        return ids.get(
            name.removesuffix("_id"), str(uuid.UUID(int=random.Random(name).getrandbits(128)))
        )
    if fmt == "date":
        return "2026-12-07"
    if fmt == "date-time":
        return "2026-12-07T10:00:00Z"
    if fmt == "email":
        return "hostile@example.com"
    return v.text


def _json(body: Any) -> bytes:
    text = json.dumps(body)
    return text.replace(f'"{EXPONENT}"', "1e400").encode("utf-8", "surrogatepass")


DEEP_ARRAYS = b"[" * DEEP + b"]" * DEEP
DEEP_OBJECTS = b'{"a":' * DEEP + b"1" + b"}" * DEEP
NOT_UTF8_JSON = b'{"name": "\xff\xfe\xc0\xaf", "email": "\xed\xa0\x80@x.io"}'
NOT_UTF8_FORM = b"name=%FF%FE&email=%C0%AF&first_name=\xff"


def _cursor(value: Any) -> str:
    raw = json.dumps([value, str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ---- requests --------------------------------------------------------------------------


@dataclass
class Sender:
    client: TestClient
    headers: dict[str, str]
    csrf: str | None
    failures: list[str]

    def send(self, route: Route, label: str, path: str, **kw: Any) -> None:
        headers = dict(self.headers) | kw.pop("headers", {})
        if self.csrf and route.method != "GET":
            headers.setdefault("X-CSRF-Token", self.csrf)
        try:
            r = self.client.request(
                route.method, path, headers=headers, follow_redirects=False, **kw
            )
        except Exception as exc:  # the client itself could not send it: not the server's fault
            if isinstance(exc, (UnicodeError, ValueError)):
                return
            raise
        if r.status_code >= 500:
            self.failures.append(
                f"{route.method} {route.path} [{label}] -> {r.status_code}: {r.text[:200]}"
            )


def _concrete(route: Route, ids: dict[str, str], override: str | None = None) -> str:
    first = True

    def fill(m: Any) -> str:
        nonlocal first
        name = m.group(1)
        if override is not None and first:
            first = False
            return override
        if name in ("fmt", "format"):
            return "csv"
        if name in ("name", "field"):
            return "name"
        if name in ("object_type", "object"):
            return "leads"
        if name == "slug":
            return ids["form_slug"]
        key = name.removesuffix("_id")
        if key in ("record", "id"):
            segment = route.path.strip("/").split("/")
            plural = segment[2] if route.path.startswith("/api/") else segment[0]
            key = plural.removesuffix("s")
        return ids.get(key, str(uuid.uuid4()))

    return PARAM.sub(fill, route.path)


def _hostile_unauthenticated(s: Sender, route: Route, ids: dict[str, str]) -> None:
    path = _concrete(route, ids)
    json_type = {"Content-Type": "application/json"}
    if route.method in WITH_BODY:
        s.send(route, "unauthenticated deep JSON", path, content=DEEP_ARRAYS, headers=json_type)
        s.send(
            route,
            "unauthenticated not UTF-8",
            path,
            content=NOT_UTF8_FORM,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    if PARAM.search(route.path):
        s.send(route, "unauthenticated long path", _concrete(route, ids, "p" * 5000))


def _hostile_signed_in(s: Sender, route: Route, ids: dict[str, str]) -> None:
    path = _concrete(route, ids)
    json_type = {"Content-Type": "application/json"}
    if route.method in WITH_BODY:
        s.send(route, "arrays 5,000 deep", path, content=DEEP_ARRAYS, headers=json_type)
        s.send(route, "objects 5,000 deep", path, content=DEEP_OBJECTS, headers=json_type)
        s.send(route, "JSON not UTF-8", path, content=NOT_UTF8_JSON, headers=json_type)
        for v in _variants():
            if route.kind == "web":
                number = "1e400" if v.number == EXPONENT else str(v.number)
                form = {f: number if f in _NUMERIC_FORM else v.text for f in WEB_FIELDS}
                if s.csrf:
                    form["csrf_token"] = s.csrf
                s.send(route, v.name, path, data=form)
            else:
                schema = route.body_schema or {"type": "object", "properties": {}}
                s.send(route, v.name, path, content=_json(_value(schema, v, ids, "")),
                       headers=json_type)  # fmt: skip
    if route.method == "GET":
        if route.has_cursor:
            huge = _cursor(int("9" * 26))
            s.send(route, "26-digit cursor", path, params={"cursor": huge})
            for sort in SORTS:
                s.send(route, f"26-digit cursor, sort={sort}", path,
                       params={"cursor": huge, "sort": sort})  # fmt: skip
        params = [
            ("filter", "employees:gt:" + "9" * 30),
            ("filter", "amount:lt:1e400"),
            ("filter", "name:eq:a\x00b\x1b"),
            ("q", "a\x00\x1b[31m"),
            ("limit", "1" + "0" * 30),
            ("sort", "s" * 5000),
        ]
        s.send(route, "hostile query", path, params=params)
        s.send(route, "query not UTF-8", path + "?q=%FF%FE&filter=%C0%AF&sort=%ED%A0%80")
    if PARAM.search(route.path):
        s.send(route, "NUL in path", _concrete(route, ids, quote("a\x00\x1b", safe="")))
        s.send(route, "40-digit path", _concrete(route, ids, "9" * 40))


_NUMERIC_FORM = {
    "amount", "quantity", "unit_price", "discount", "employees", "annual_revenue", "probability"
}  # fmt: skip


@pytest.fixture
def records(db: Any, users: Any) -> dict[str, str]:
    """Real records, so that a route with an id reaches its body's checks (not only 404)."""
    account = make_account(db)
    made = {
        "account": account,
        "contact": make_contact(db, account_id=account.id),
        "lead": make_lead(db),
        "deal": make_deal(db, account_id=account.id),
        "task": make_task(db),
    }
    form = make_web_form(db)
    db.commit()
    ids = {key: str(record.id) for key, record in made.items()}
    ids |= {"user": str(users.rep.id), "team": str(users.rep.user.team_id)}
    ids["form_slug"] = form.slug
    return ids


def _chunk(routes: list[Route], index: int) -> Iterator[Route]:
    ordered = sorted(routes, key=lambda r: (r.method == "DELETE", r.path, r.method))
    yield from ordered[index::CHUNKS]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_hostile_input_reaches_a_server_error(
    app: Any, users: Any, records: dict[str, str], chunk: int
) -> None:
    routes = _api_routes(app) + _web_routes(app)
    assert len(routes) > 300, "the sweep lost its routes"
    failures: list[str] = []
    mine = list(_chunk(routes, chunk))
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        nobody = Sender(anonymous, {}, None, failures)
        for route in mine:
            _hostile_unauthenticated(nobody, route, records)
    with (
        TestClient(app, raise_server_exceptions=False) as api,
        TestClient(app, raise_server_exceptions=False) as web,
    ):
        keyed = Sender(api, users.admin.headers, None, failures)
        csrf = sign_in(web, users.admin)
        session = Sender(web, {}, csrf, failures)
        for route in mine:
            _hostile_signed_in(session if route.kind == "web" else keyed, route, records)
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
