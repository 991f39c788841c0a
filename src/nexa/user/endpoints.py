"""/api/v1/users and /api/v1/me: parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from nexa.api.crud import parse_if_match, select_fields, with_etag
from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Page, Problem
from nexa.user import service
from nexa.user.schemas import (
    MeOut,
    MeUpdate,
    SessionsEndedOut,
    UserCreate,
    UserOut,
    UserUpdate,
    WebSessionOut,
)

router = APIRouter(
    tags=["users"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)


@router.get(
    "/users",
    response_model=Page[dict[str, Any]],
    summary="List users (admins: all; managers: their team)",
    openapi_extra=needs("user:read"),
)
def list_users(session: SessionDep, actor: ActorDep, query: ListQueryDep) -> dict[str, Any]:
    rows, next_cursor = service.list_users(session, actor, query)
    items = [
        select_fields(UserOut.model_validate(u).model_dump(mode="json"), query.fields) for u in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    summary="Create a user",
    responses={409: {"model": Problem}},
    openapi_extra=needs("user:create"),
)
def create_user(
    body: UserCreate, session: SessionDep, actor: ActorDep, response: Response
) -> UserOut:
    user = service.create_user(session, actor, body)
    with_etag(response, user.version)
    return UserOut.model_validate(user)


@router.get(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Get a user",
    openapi_extra=needs("user:read"),
)
def get_user(
    user_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> UserOut:
    user = service.get_user(session, actor, user_id)
    with_etag(response, user.version)
    return UserOut.model_validate(user)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user's role, team, activity, password",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("user:read", "user:write"),
)
def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> UserOut:
    user = service.update_user(session, actor, user_id, body, if_match=parse_if_match(if_match))
    with_etag(response, user.version)
    return UserOut.model_validate(user)


@router.get(
    "/users/{user_id}/sessions",
    response_model=list[WebSessionOut],
    summary="A user's live web sessions (one's own, or of a user one may change)",
    openapi_extra=needs("user:read", "user:write"),
)
def list_user_sessions(
    user_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[WebSessionOut]:
    rows = service.list_user_sessions(session, actor, user_id)
    return [WebSessionOut.model_validate(r) for r in rows]


@router.delete(
    "/users/{user_id}/sessions",
    response_model=SessionsEndedOut,
    summary="End all of a user's web sessions (they must sign in again)",
    openapi_extra=needs("user:read", "user:write"),
)
def end_user_sessions(user_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SessionsEndedOut:
    return SessionsEndedOut(ended=service.end_sessions(session, actor, user_id))


def _me_out(user: Any, actor: Any) -> MeOut:
    data = UserOut.model_validate(user).model_dump()
    return MeOut(**data, permissions={p: s.value for p, s in sorted(actor.grants.items())})


@router.get(
    "/me",
    response_model=MeOut,
    tags=["me"],
    summary="The signed-in user and their permissions",
    openapi_extra=needs("me:read"),
)
def get_me(session: SessionDep, actor: ActorDep) -> MeOut:
    return _me_out(service.get_me(session, actor), actor)


@router.patch(
    "/me",
    response_model=MeOut,
    tags=["me"],
    summary="Change my name, time zone or password",
    openapi_extra=needs("me:write"),
)
def update_me(body: MeUpdate, session: SessionDep, actor: ActorDep) -> MeOut:
    user = service.update_me(session, actor, body.model_dump(exclude_unset=True))
    return _me_out(user, actor)
