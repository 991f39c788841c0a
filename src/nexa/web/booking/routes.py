"""Booking page settings in the web UI: one's own (/profile/booking) and a team's
(/teams/{team_id}/booking: admins, and managers for their team tree). The public page
itself is nexa.web.booking.public."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nexa.booking import service
from nexa.booking.schemas import DEFAULT_HOURS, BookingPageIn
from nexa.booking.slots import WEEKDAYS
from nexa.core.actor import Actor
from nexa.core.errors import NotFound
from nexa.models import BookingPage, Team
from nexa.team import service as teams
from nexa.web.admin.common import CSRF, Failure, attempt, done, flag, text
from nexa.web.pages import PostedForm, WebActor, WebSession, render

router = APIRouter()

NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES = dict(zip(WEEKDAYS, NAMES, strict=True))
NUMBERS = (
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "notice_hours",
    "days_ahead",
)


def _values(page: BookingPage | None, default_title: str) -> dict[str, Any]:
    if page is None:
        return {
            "slug": "",
            "title": default_title,
            "duration_minutes": 30,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 0,
            "notice_hours": 4,
            "days_ahead": 14,
            "enabled": True,
            "hours": {d: (DEFAULT_HOURS.get(d) or [["", ""]])[0] for d in WEEKDAYS},
        }
    values: dict[str, Any] = {c: getattr(page, c) for c in ("slug", "title", "enabled", *NUMBERS)}
    values["hours"] = {d: (page.working_hours.get(d) or [["", ""]])[0] for d in WEEKDAYS}
    return values


def _posted(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"slug": text(form, "slug") or "", "title": text(form, "title") or ""}
    for name in NUMBERS:
        values[name] = text(form, name) or ""
    values["enabled"] = flag(form, "enabled")
    values["hours"] = {
        d: [text(form, f"{d}.start") or "", text(form, f"{d}.end") or ""] for d in WEEKDAYS
    }
    return values


def _body(values: dict[str, Any]) -> BookingPageIn:
    hours = {d: [span] for d, span in values["hours"].items() if span[0] or span[1]}
    data = {k: v for k, v in values.items() if k != "hours" and v != ""}
    return BookingPageIn.model_validate(data | {"working_hours": hours})


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    heading: str,
    action: str,
    page: BookingPage | None,
    values: dict[str, Any],
    failure: Failure | None = None,
    own: bool = False,
) -> HTMLResponse:
    # on one's own page: the teams whose pages one looks after (admins, managers)
    managed = teams.list_teams(session, actor) if own and actor.can("team:read") else []
    return render(
        request,
        "booking/edit.html",
        actor,
        session,
        status_code=failure.status if failure else 200,
        heading=heading,
        action=action,
        page=page,
        url=service.public_url(page) if page is not None else None,
        values=values,
        errors=failure.errors if failure else {},
        days=DAY_NAMES,
        teams=[t for t in managed if service.may_edit_team(session, actor, t.id)],
    )


@router.get("/profile/booking", response_class=HTMLResponse)
def own_page(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    page = service.own_page(session, actor)
    return _page(
        request,
        session,
        actor,
        heading="Your booking page",
        action="/profile/booking",
        page=page,
        values=_values(page, f"Meet {actor.display_name}".strip()),
        own=True,
    )


@router.post("/profile/booking", dependencies=CSRF)
def save_own_page(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    values = _posted(form)
    saved = attempt(
        session, lambda: _body(values), lambda body: service.put_own_page(session, actor, body)
    )
    if isinstance(saved, Failure):
        page = service.own_page(session, actor)
        return _page(
            request,
            session,
            actor,
            heading="Your booking page",
            action="/profile/booking",
            page=page,
            values=values,
            failure=saved,
            own=True,
        )
    return done(request, "Booking page saved.", "/profile/booking")


def _team(session: Session, actor: Actor, team_id: uuid.UUID) -> Team:
    team = session.get(Team, team_id)
    if team is None or not service.may_edit_team(session, actor, team_id):
        raise NotFound("no such team, or you may not manage its booking page")
    return team


@router.get("/teams/{team_id}/booking", response_class=HTMLResponse)
def team_page(
    request: Request, team_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    team = _team(session, actor, team_id)
    page = service.team_page(session, actor, team_id)
    return _page(
        request,
        session,
        actor,
        heading=f"Booking page of {team.name}",
        action=f"/teams/{team_id}/booking",
        page=page,
        values=_values(page, f"Talk to {team.name}"),
    )


@router.post("/teams/{team_id}/booking", dependencies=CSRF)
def save_team_page(
    request: Request, team_id: uuid.UUID, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    team = _team(session, actor, team_id)
    values = _posted(form)
    saved = attempt(
        session,
        lambda: _body(values),
        lambda body: service.put_team_page(session, actor, team_id, body),
    )
    if isinstance(saved, Failure):
        return _page(
            request,
            session,
            actor,
            heading=f"Booking page of {team.name}",
            action=f"/teams/{team_id}/booking",
            page=service.team_page(session, actor, team_id),
            values=values,
            failure=saved,
        )
    return done(request, "Team booking page saved.", f"/teams/{team_id}/booking")
