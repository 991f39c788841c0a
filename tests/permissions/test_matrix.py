"""Every API operation × every role × own / team / other record, against the written policy.

Expectations come from role_table.csv (a transcript of PRODUCT.md's role table) through
routes.csv; the code's own role grants are never consulted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from tests.factories.user import Person, make_team, make_user
from tests.permissions.policy import CASES, ROLES, ROUTES, Route, allowed, normalise

RECORD_ROUTES = [r for r in ROUTES if r.record]
OTHER_ROUTES = [r for r in ROUTES if not r.record]


def test_every_api_operation_has_a_written_policy(app: Any) -> None:
    spec = app.openapi()["paths"]
    served = {
        (method.upper(), normalise(path))
        for path, ops in spec.items()
        if path.startswith("/api/v1")
        for method in ops
    }
    written = {(r.method, r.path) for r in ROUTES}
    assert served - written == set(), "operations without a written policy (add them to routes.csv)"
    assert written - served == set(), "routes.csv names operations the API does not serve"


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


def make_record(db: Any, obj: str, owner: Person) -> Any:
    if obj == "account":
        from tests.factories.account import make_account

        return make_account(db, SYSTEM, owner_id=owner.id)
    from tests.factories.contact import make_contact

    return make_contact(db, SYSTEM, owner_id=owner.id)


UPDATE_BODY = {"account": {"description": "matrix"}, "contact": {"title": "matrix"}}


def call_on_record(client: Any, db: Any, route: Route, record: Any, person: Person) -> Any:
    if route.path.endswith("/restore"):
        record.deleted_at = __import__("nexa.core.db", fromlist=["utcnow"]).utcnow()
        db.commit()
    if route.path == "/api/v1/timeline":
        return client.get(
            route.path,
            headers=person.headers,
            params={"record_type": route.object, "record_id": str(record.id)},
        )
    path = route.path.replace("{}", str(record.id), 1)
    body = UPDATE_BODY[route.object] if route.method == "PATCH" else None
    return client.request(route.method, path, headers=person.headers, json=body)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", RECORD_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_record_operation(client: Any, db: Any, route: Route, role: str, case: str) -> None:
    cast = cast_for(db, role)
    record = make_record(db, route.object, cast.owner(case))
    db.commit()
    response = call_on_record(client, db, route, record, cast.actor)
    expected = allowed(route.object, route.action, role, case)
    if expected:
        assert response.status_code < 300, f"{role} should be allowed ({case}): {response.text}"
    else:
        assert response.status_code in (403, 404), (
            f"{role} should be denied ({case}): {response.status_code}"
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", ["account", "contact"])
def test_list_shows_exactly_the_readable_records(client: Any, db: Any, obj: str, role: str) -> None:
    cast = cast_for(db, role)
    records = {case: make_record(db, obj, cast.owner(case)) for case in CASES}
    db.commit()
    ids = ",".join(str(r.id) for r in records.values())
    response = client.get(
        f"/api/v1/{obj}s", headers=cast.actor.headers, params={"filter": f"id:in:{ids}"}
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
@pytest.mark.parametrize("obj", ["account", "contact"])
def test_reassign(client: Any, db: Any, obj: str, role: str, case: str) -> None:
    """Hand one's own record to a teammate / someone in another team."""
    cast = cast_for(db, role)
    record = make_record(db, obj, cast.actor)
    db.commit()
    target = cast.owner(case)
    response = client.patch(
        f"/api/v1/{obj}s/{record.id}", headers=cast.actor.headers, json={"owner_id": str(target.id)}
    )
    expected = allowed(obj, "reassign", role, case) and allowed(obj, "update", role, "own")
    if expected:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code in (403, 404), (
            f"{role} reassigning to {case}: {response.status_code}"
        )


# ---- non-record operations -----------------------------------------------------------------


def _request_for(
    route: Route, db: Any, cast: Cast
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """A valid request for the operation; who may make it is the policy's business."""
    from nexa.metadata.schemas import CustomFieldCreate
    from nexa.metadata.service import create_definition
    from nexa.notification.service import notify

    path, body, params = route.path, None, None
    tag = uuid.uuid4().hex[:8]
    if route.path == "/api/v1/users" and route.method == "POST":
        body = {"email": f"new.{tag}@example.com", "full_name": "New Person", "role": "sales_rep"}
    elif route.path == "/api/v1/users/{}":
        path = path.replace("{}", str(cast.teammate.id))
        body = {"full_name": f"Renamed {tag}"} if route.method == "PATCH" else None
    elif route.path == "/api/v1/me" and route.method == "PATCH":
        body = {"full_name": f"Me {tag}"}
    elif route.path == "/api/v1/teams" and route.method == "POST":
        body = {"name": f"Team {tag}"}
    elif route.path == "/api/v1/teams/{}":
        path = path.replace("{}", str(cast.teammate.user.team_id))
        body = {"name": f"Renamed team {tag}"} if route.method == "PATCH" else None
    elif route.path == "/api/v1/roles/{}":
        path = path.replace("{}", "read_only")
        body = {"grants": {"account:read": "own", "contact:read": "own"}}
    elif route.path == "/api/v1/settings/visibility" and route.method == "PUT":
        body = {"account": "private"}
    elif route.path == "/api/v1/api-keys" and route.method == "POST":
        body = {"name": f"key {tag}", "user_id": str(cast.teammate.id), "scopes": ["contact:read"]}
    elif route.path == "/api/v1/api-keys/{}":
        from sqlalchemy import select

        from nexa.models import ApiKey

        key_id = db.scalars(select(ApiKey.id).where(ApiKey.user_id == cast.teammate.id)).first()
        path = path.replace("{}", str(key_id))
    elif route.path == "/api/v1/custom-fields" and route.method == "POST":
        body = {"object_type": "contact", "key": f"k_{tag}", "label": "K", "field_type": "text"}
    elif route.path == "/api/v1/custom-fields/{}":
        field = create_definition(
            db,
            SYSTEM,
            CustomFieldCreate(object_type="account", key=f"f_{tag}", label="F", field_type="text"),
        )
        path = path.replace("{}", str(field.id))
        body = {"label": "G"}
    elif route.path == "/api/v1/notifications/{}/read":
        note = notify(db, user_id=cast.actor.id, kind="test", title="hello")
        path = path.replace("{}", str(note.id))
    elif route.method == "POST" and route.path == "/api/v1/accounts":
        body = {"name": f"Account {tag}"}
    elif route.method == "POST" and route.path == "/api/v1/contacts":
        body = {"first_name": "Pat", "last_name": f"Lee {tag}"}
    return path, body, params


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", OTHER_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_operation(client: Any, db: Any, route: Route, role: str) -> None:
    cast = cast_for(db, role)
    path, body, params = _request_for(route, db, cast)
    db.commit()
    response = client.request(
        route.method, path, headers=cast.actor.headers, json=body, params=params
    )
    case = "team" if "{}" in route.path and route.object in ("user", "team") else "own"
    if allowed(route.object, route.action, role, case):
        assert response.status_code < 300, (
            f"{role} should be allowed: {response.status_code} {response.text}"
        )
    else:
        assert response.status_code in (403, 404), (
            f"{role} should be denied: {response.status_code}"
        )
