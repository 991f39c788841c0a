"""The forecast and the deal win model: no record of their own (a deal's prediction is a
deal record route, made by the deal subject)."""

from __future__ import annotations

from typing import Any

from tests.permissions.subjects import Request, Subject


def _forecast_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/forecast":
        return route.path, None, {"period": "2026-Q4"}
    if route.path in ("/api/v1/forecast/train", "/api/v1/forecast/model"):
        return route.path, None, None
    return None


SUBJECTS = [Subject("forecast", lambda _db, _owner: None, other_request=_forecast_request)]
