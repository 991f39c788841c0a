"""/api/v1/booking-pages: a user's own booking page, and the pages of the teams an admin or a
manager looks after (their slots and bookings are on the public page, /book/{slug}).

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy.orm import Session

from nexa.api.crud import parse_if_match, with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.booking import service
from nexa.booking.schemas import BookingPageIn, BookingPageOut
from nexa.core.errors import NotFound
from nexa.core.schemas import Problem
from nexa.models import BookingPage

router = APIRouter(
    prefix="/booking-pages",
    tags=["booking pages"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)
IfMatch = Annotated[str | None, Header(max_length=100)]


def page_out(session: Session, page: BookingPage) -> BookingPageOut:
    data = {c.key: getattr(page, c.key) for c in BookingPage.__mapper__.column_attrs}
    return BookingPageOut.model_validate(data | {"url": service.public_url(page)})


@router.get(
    "",
    response_model=list[BookingPageOut],
    summary="The booking pages you edit: your own, and those of the teams you manage",
    openapi_extra=needs("me:read"),
)
def list_pages(session: SessionDep, actor: ActorDep) -> list[BookingPageOut]:
    return [page_out(session, p) for p in service.list_pages(session, actor)]


@router.get(
    "/me",
    response_model=BookingPageOut,
    summary="Your own booking page (404 until you make one)",
    openapi_extra=needs("me:read"),
)
def get_own(session: SessionDep, actor: ActorDep, response: Response) -> BookingPageOut:
    page = service.own_page(session, actor)
    if page is None:
        raise NotFound("you have no booking page yet; PUT one")
    with_etag(response, page.version)
    return page_out(session, page)


@router.put(
    "/me",
    response_model=BookingPageOut,
    summary="Make or change your own booking page",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("me:write", "meeting:create"),
)
def put_own(
    body: BookingPageIn,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> BookingPageOut:
    page = service.put_own_page(session, actor, body, if_match=parse_if_match(if_match))
    with_etag(response, page.version)
    return page_out(session, page)


@router.get(
    "/teams/{team_id}",
    response_model=BookingPageOut,
    summary="A team's booking page (round robin among its members)",
    openapi_extra=needs("team:read"),
)
def get_team_page(
    team_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> BookingPageOut:
    page = service.team_page(session, actor, team_id)
    if page is None:
        raise NotFound("this team has no booking page yet; PUT one")
    with_etag(response, page.version)
    return page_out(session, page)


@router.put(
    "/teams/{team_id}",
    response_model=BookingPageOut,
    summary="Make or change a team's booking page (admins; managers for their teams)",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("team:read", "meeting:write"),
)
def put_team_page(
    team_id: uuid.UUID,
    body: BookingPageIn,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> BookingPageOut:
    page = service.put_team_page(session, actor, team_id, body, if_match=parse_if_match(if_match))
    with_etag(response, page.version)
    return page_out(session, page)
