"""Every API operation × every role × own / team / other record, against the written policy.

Expectations come from role_table.csv (a transcript of PRODUCT.md's role table) through
routes/*.csv; the code's own role grants are never consulted. Every request is made with an
API key of all the user's permissions ("*"), so an operation routes/*.csv marks "session"
(never with an API key) is refused to every role; the key scopes themselves are tested in
test_key_scopes.py. How to make a record of each
object and a valid request for each operation lives in subjects/ (one module per domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from nexa.core.db import utcnow
from tests.factories.user import Person, make_team, make_user
from tests.permissions.policy import CASES, ROLES, ROUTES, Route, allowed, normalise
from tests.permissions.subjects import Request, Subject, load

SUBJECTS: dict[str, Subject] = load()
RECORD_ROUTES = [r for r in ROUTES if r.record]
OTHER_ROUTES = [r for r in ROUTES if not r.record]
LISTED = [s.object for s in SUBJECTS.values() if s.list_path]
REASSIGNABLE = [s.object for s in SUBJECTS.values() if s.reassignable]


def test_every_api_operation_has_a_written_policy(app: Any) -> None:
    spec = app.openapi()["paths"]
    served = {
        (method.upper(), normalise(path))
        for path, ops in spec.items()
        if path.startswith("/api/v1")
        for method in ops
    }
    written = {(r.method, r.path) for r in ROUTES}
    assert served - written == set(), "operations without a written policy (add to routes/)"
    assert written - served == set(), "routes/ names operations the API does not serve"


def test_every_record_route_has_a_subject() -> None:
    missing = {r.object for r in RECORD_ROUTES} - set(SUBJECTS) - {"timeline"}
    assert missing == set(), "add a Subject for these objects in tests/permissions/subjects/"


@dataclass
class Cast:
    actor: Person
    teammate: Person
    outsider: Person

    def owner(self, case: str) -> Person:
        return {"own": self.actor, "team": self.teammate, "other": self.outsider}[case]


def cast_for(db: Any, role: str) -> Cast:
    team = make_team(db)
    elsewhere = make_team(db)
    cast = Cast(
        make_user(db, role, team),
        make_user(db, "sales_rep", team),
        make_user(db, "sales_rep", elsewhere),
    )
    if role == "manager":
        team.manager_id = cast.actor.id
    db.commit()
    return cast


def record_request(route: Route, db: Any, record: Any, cast: Cast) -> Request:
    subject = SUBJECTS[route.object]
    if route.path.endswith("/restore"):
        record.deleted_at = utcnow()
        db.commit()
    if subject.record_request is not None:
        custom = subject.record_request(route, db, record, cast)
        if custom is not None:
            return custom
    if route.path == "/api/v1/timeline":
        return route.path, None, {"record_type": route.object, "record_id": str(record.id)}
    path = route.path.replace("{}", str(record.id), 1)
    return path, (subject.update_body if route.method == "PATCH" else None), None


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", RECORD_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_record_operation(client: Any, db: Any, route: Route, role: str, case: str) -> None:
    cast = cast_for(db, role)
    record = SUBJECTS[route.object].make(db, cast.owner(case).id)
    db.commit()
    path, body, params = record_request(route, db, record, cast)
    subject = SUBJECTS[route.object]
    files = subject.files(route, db, record, cast) if subject.files else None
    db.commit()
    response = client.request(
        route.method, path, headers=cast.actor.headers, json=body, params=params, files=files
    )
    if allowed(route.object, route.action, role, case) and not route.session_only:
        assert response.status_code < 300, f"{role} should be allowed ({case}): {response.text}"
    else:
        assert response.status_code in (403, 404), (
            f"{role} should be denied ({case}): {response.status_code} {response.text}"
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", LISTED)
def test_list_shows_exactly_the_readable_records(client: Any, db: Any, obj: str, role: str) -> None:
    subject = SUBJECTS[obj]
    cast = cast_for(db, role)
    records = {case: subject.make(db, cast.owner(case).id) for case in CASES}
    db.commit()
    ids = ",".join(str(r.id) for r in records.values())
    response = client.get(
        subject.list_path, headers=cast.actor.headers, params={"filter": f"id:in:{ids}"}
    )
    if not allowed(obj, "list", role, "own"):
        assert response.status_code in (403, 404)
        return
    assert response.status_code == 200, response.text
    seen = {item["id"] for item in response.json()["items"]}
    expected = {str(records[c].id) for c in CASES if allowed(obj, "list", role, c)}
    assert seen == expected


@pytest.mark.parametrize("case", ["team", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", REASSIGNABLE)
def test_reassign(client: Any, db: Any, obj: str, role: str, case: str) -> None:
    """Hand one's own record to a teammate / someone in another team."""
    subject = SUBJECTS[obj]
    cast = cast_for(db, role)
    record = subject.make(db, cast.actor.id)
    db.commit()
    target = cast.owner(case)
    response = client.patch(
        f"{subject.list_path}/{record.id}",
        headers=cast.actor.headers,
        json={"owner_id": str(target.id)},
    )
    expected = allowed(obj, "reassign", role, case) and allowed(obj, "update", role, "own")
    if expected:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code in (403, 404), (
            f"{role} reassigning to {case}: {response.status_code}"
        )


# ---- non-record operations -----------------------------------------------------------------


def other_request(route: Route, db: Any, cast: Cast) -> Request:
    """A valid request for the operation; who may make it is the policy's business."""
    for subject in SUBJECTS.values():
        if subject.other_request is not None:
            custom = subject.other_request(route, db, cast)
            if custom is not None:
                return custom
    for subject in SUBJECTS.values():
        if route.method == "POST" and route.path == subject.list_path and subject.create_body:
            return route.path, subject.create_body(db, cast), None
    return route.path, None, None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", OTHER_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_operation(client: Any, db: Any, route: Route, role: str) -> None:
    cast = cast_for(db, role)
    path, body, params = other_request(route, db, cast)
    db.commit()
    response = client.request(
        route.method, path, headers=cast.actor.headers, json=body, params=params
    )
    case = "team" if "{}" in route.path and route.object in ("user", "team") else "own"
    if allowed(route.object, route.action, role, case) and not route.session_only:
        assert response.status_code < 300, (
            f"{role} should be allowed: {response.status_code} {response.text}"
        )
    else:
        assert response.status_code in (403, 404), (
            f"{role} should be denied: {response.status_code}"
        )
