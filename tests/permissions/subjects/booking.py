"""Booking pages: no record routes; the requests make the page they read first."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.booking.schemas import DEFAULT_HOURS
from nexa.models import BookingPage
from tests.permissions.subjects import Request, Subject

BODY = {"slug": "", "title": "Intro call", "duration_minutes": 30}


def _page(db: Any, **owner: Any) -> None:
    db.add(
        BookingPage(
            id=uuid.uuid4(),
            slug=f"p-{uuid.uuid4().hex[:10]}",
            title="Intro call",
            working_hours=DEFAULT_HOURS,
            **owner,
        )
    )
    db.flush()


def _request(route: Any, db: Any, cast: Any) -> Request | None:
    if not route.path.startswith("/api/v1/booking-pages"):
        return None
    body = {**BODY, "slug": f"p-{uuid.uuid4().hex[:10]}"}
    if route.path == "/api/v1/booking-pages/me":
        if route.method == "GET":
            _page(db, user_id=cast.actor.id)
            return route.path, None, None
        return route.path, body, None
    if route.path == "/api/v1/booking-pages/teams/{}":
        team_id = cast.actor.user.team_id
        if route.method == "GET":
            _page(db, team_id=team_id)
            return route.path.replace("{}", str(team_id)), None, None
        return route.path.replace("{}", str(team_id)), body, None
    return route.path, None, None


SUBJECTS = [Subject("booking_page", lambda _db, _owner: None, other_request=_request)]
