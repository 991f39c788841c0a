"""Every API operation × the scopes of the API key that calls it, against the written policy.

The scopes each operation needs come from routes/*.csv (column ``key_scope``), never from the
code's declarations. For every operation, acting as an admin (whose role grants everything,
so only the key's scopes can refuse): a key scoped to something unrelated is refused with a
403 naming the first scope needed; when several are needed, a key lacking any one of them is
refused naming that one; a key with exactly the scopes needed succeeds. Operations marked
"session" are refused to every key, even one of all the user's permissions ("*").

The requests are the permission matrix's (subjects/), so a route the matrix can call is a
route this test calls.
"""

from __future__ import annotations

from typing import Any

import pytest

from nexa.api.scopes import declared, placeholders
from nexa.core.actor import SYSTEM
from nexa.core.permissions import API_KEY_SCOPES
from nexa.user.service import create_api_key
from tests.permissions.policy import ROUTES, SESSION_ONLY, Route
from tests.permissions.test_matrix import SUBJECTS, cast_for, other_request, record_request

# no operation needs it: a key scoped to it alone holds none of the scopes any route needs
UNRELATED = "kb:bulk_delete"


def test_every_api_operation_declares_its_key_scopes(app: Any) -> None:
    """Walks the app's route table: an operation without a declaration would be refused to
    every key; a template names a required parameter of its route (so a request without it
    fails validation rather than skipping the check)."""
    from fastapi.routing import iter_route_contexts

    seen = 0
    for route in iter_route_contexts(app.routes):
        if not (route.path or "").startswith("/api/v1"):
            continue
        seen += 1
        needed = declared(route.original_route)
        assert needed, f"{sorted(route.methods or [])} {route.path} declares no API key scope"
        names = placeholders(needed)
        if names:
            dependant = route.dependant
            required = {
                p.alias
                for p in dependant.path_params + dependant.query_params
                if p.field_info.is_required()
            }
            assert names <= required, f"{route.path}: {names - required} is not required"
    assert seen == len(ROUTES)


def test_the_written_policy_names_only_scopes_a_key_can_have() -> None:
    known = {*API_KEY_SCOPES, SESSION_ONLY}
    for route in ROUTES:
        assert route.key_scopes, f"{route.method} {route.path}: no key_scope in routes/"
        options = {o for r in route.key_scopes for o in r.split("|")}
        assert options <= known, f"{route.method} {route.path}: {options - known}"
        assert UNRELATED not in options


def _key(db: Any, user_id: Any, scopes: list[str]) -> dict[str, str]:
    _, token = create_api_key(db, SYSTEM, user_id=user_id, name="scoped", scopes=scopes)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def _first_options(requirements: tuple[str, ...]) -> list[str]:
    return [r.split("|")[0] for r in requirements]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_key_without_the_scope_is_refused(client: Any, db: Any, route: Route) -> None:
    cast = cast_for(db, "admin")
    files = None
    if route.record:
        subject = SUBJECTS[route.object]
        record = subject.make(db, cast.actor.id)
        db.commit()
        path, body, params = record_request(route, db, record, cast)
        files = subject.files(route, db, record, cast) if subject.files else None
    else:
        path, body, params = other_request(route, db, cast)
    db.commit()

    def call(headers: dict[str, str]) -> Any:
        return client.request(
            route.method, path, headers=headers, json=body, params=params, files=files
        )

    if route.session_only:
        refused = call(cast.actor.headers)  # a key of all the user's permissions
        assert refused.status_code == 403, refused.text
        assert refused.json()["missing_scope"] == SESSION_ONLY
        return

    refused = call(_key(db, cast.actor.id, [UNRELATED]))
    assert refused.status_code == 403, f"a key scoped to {UNRELATED}: {refused.text}"
    assert refused.json()["missing_scope"] == route.key_scopes[0], refused.text
    assert route.key_scopes[0] in refused.json()["detail"]

    needed = _first_options(route.key_scopes)
    if len(needed) > 1:
        for i, requirement in enumerate(route.key_scopes):
            partial = call(_key(db, cast.actor.id, needed[:i] + needed[i + 1 :]))
            assert partial.status_code == 403, f"without {requirement}: {partial.text}"
            assert partial.json()["missing_scope"] == requirement

    allowed = call(_key(db, cast.actor.id, needed))
    assert allowed.status_code < 300, f"a key scoped to {needed}: {allowed.text}"
