"""/api/v1/quotes: CRUD, status actions, the PDF and the organization's template."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from nexa.api.crud import with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.models import Quote
from nexa.order.flows import accept_quote as accept_and_order
from nexa.order.schemas import AcceptOut
from nexa.order.shape import ORDERS
from nexa.quote import service
from nexa.quote.schemas import (
    QuoteCreate,
    QuoteDecline,
    QuoteOut,
    QuoteUpdate,
    TemplateIn,
    TemplateOut,
)
from nexa.quote.shape import QUOTES

# the template routes come first: /quotes/template must not be read as /quotes/{id}
settings = APIRouter(prefix="/quotes", tags=["quotes"], responses=PROBLEMS)


@settings.get(
    "/template",
    response_model=TemplateOut,
    summary="The quote PDF template",
    openapi_extra=needs("quote:read"),
)
def get_template(session: SessionDep, actor: ActorDep) -> TemplateOut:
    html, is_default = service.get_template(session, actor)
    return TemplateOut(html=html, is_default=is_default)


@settings.put(
    "/template",
    response_model=TemplateOut,
    summary="Replace the quote PDF template",
    openapi_extra=needs("settings:write"),
)
def put_template(body: TemplateIn, session: SessionDep, actor: ActorDep) -> TemplateOut:
    return TemplateOut(html=service.set_template(session, actor, body.html), is_default=False)


@settings.post(
    "/from-deal/{deal_id}",
    response_model=QuoteOut,
    status_code=201,
    summary="A draft quote from a deal's line items",
    openapi_extra=needs("deal:read", "quote:create"),
)
def quote_from_deal(
    deal_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> QuoteOut:
    quote = service.quote_from_deal(session, actor, deal_id)
    with_etag(response, quote.version)
    return QUOTES.one(session, quote)


records = record_router(
    prefix="/quotes",
    noun="a quote",
    plural="quotes",
    service=service.QuoteService,
    create_model=QuoteCreate,
    update_model=QuoteUpdate,
    out_model=QuoteOut,
    shaper=QUOTES,
)


def _answer(session: Session, quote: Quote, response: Response) -> QuoteOut:
    with_etag(response, quote.version)
    return QUOTES.one(session, quote)


@records.post(
    "/{record_id}/send",
    response_model=QuoteOut,
    summary="Send a draft quote",
    responses={409: {"model": Problem}},
    openapi_extra=needs("quote:read", "quote:write"),
)
def send_quote(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> QuoteOut:
    return _answer(session, service.QuoteService(session, actor).send(record_id), response)


@records.post(
    "/{record_id}/accept",
    response_model=AcceptOut,
    summary="Accept a sent quote (makes its order)",
    responses={409: {"model": Problem}},
    openapi_extra=needs("quote:read", "quote:write", "order:create"),
)
def accept_quote(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> Any:
    quote, order = accept_and_order(session, actor, record_id)
    out = _answer(session, quote, response)
    return AcceptOut(**out.model_dump(), order=ORDERS.one(session, order))


@records.post(
    "/{record_id}/decline",
    response_model=QuoteOut,
    summary="Decline a sent quote",
    responses={409: {"model": Problem}},
    openapi_extra=needs("quote:read", "quote:write"),
)
def decline_quote(
    record_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    body: QuoteDecline | None = None,
) -> QuoteOut:
    reason = body.reason if body else None
    return _answer(
        session, service.QuoteService(session, actor).decline(record_id, reason), response
    )


@records.post(
    "/{record_id}/revise",
    response_model=QuoteOut,
    status_code=201,
    summary="A new draft revision (the old quote becomes superseded)",
    responses={409: {"model": Problem}},
    openapi_extra=needs("quote:read", "quote:write", "quote:create"),
)
def revise_quote(
    record_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> QuoteOut:
    return _answer(session, service.QuoteService(session, actor).revise(record_id), response)


@records.get(
    "/{record_id}/pdf",
    response_class=Response,
    summary="The quote as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
    openapi_extra=needs("quote:read"),
)
def quote_pdf(record_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    quote, document = service.quote_pdf(session, actor, record_id)
    return Response(
        content=document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{quote.number}-r{quote.revision}.pdf"'},
    )


router = APIRouter()
router.include_router(settings)
router.include_router(records)
