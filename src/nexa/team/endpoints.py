"""/api/v1/teams: parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy.orm import Session

from nexa.api.crud import parse_if_match, with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.models import Team
from nexa.team import service
from nexa.team.schemas import TeamCreate, TeamOut, TeamUpdate

router = APIRouter(
    prefix="/teams",
    tags=["teams"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)


def _out(session: Session, teams: list[Team]) -> list[TeamOut]:
    counts = service.member_counts(session, [t.id for t in teams])
    return [
        TeamOut.model_validate(
            {c.key: getattr(t, c.key) for c in Team.__mapper__.column_attrs}
            | {"member_count": counts.get(t.id, 0)}
        )
        for t in teams
    ]


@router.get(
    "",
    response_model=list[TeamOut],
    summary="List teams (admins: all; managers: their team tree)",
    openapi_extra=needs("team:read"),
)
def list_teams(session: SessionDep, actor: ActorDep) -> list[TeamOut]:
    return _out(session, service.list_teams(session, actor))


@router.post(
    "",
    response_model=TeamOut,
    status_code=201,
    summary="Create a team",
    responses={409: {"model": Problem}},
    openapi_extra=needs("team:create"),
)
def create_team(
    body: TeamCreate, session: SessionDep, actor: ActorDep, response: Response
) -> TeamOut:
    team = service.create_team(session, actor, body)
    with_etag(response, team.version)
    return _out(session, [team])[0]


@router.get(
    "/{team_id}", response_model=TeamOut, summary="Get a team", openapi_extra=needs("team:read")
)
def get_team(
    team_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> TeamOut:
    team = service.get_team(session, actor, team_id)
    with_etag(response, team.version)
    return _out(session, [team])[0]


@router.patch(
    "/{team_id}",
    response_model=TeamOut,
    summary="Rename a team, move it, change its manager",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("team:read", "team:write"),
)
def update_team(
    team_id: uuid.UUID,
    body: TeamUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> TeamOut:
    team = service.update_team(session, actor, team_id, body, if_match=parse_if_match(if_match))
    with_etag(response, team.version)
    return _out(session, [team])[0]
