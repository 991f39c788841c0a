"""Lead routing: a valid body for the settings; re-routing uses the lead subject."""

from __future__ import annotations

from typing import Any

from tests.permissions.subjects import Request, Subject


def _routing_request(route: Any, _db: Any, _cast: Any) -> Request | None:
    if route.method == "PUT" and route.path == "/api/v1/routing/settings":
        return route.path, {"warn_at_percent": 75}, None
    return None


SUBJECTS = [Subject("routing", lambda _db, _owner_id: None, other_request=_routing_request)]
