"""/api/v1/contacts: parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from nexa.api.crud import (
    add_bin_routes,
    idempotent_create,
    model_response,
    parse_if_match,
    select_fields,
    with_etag,
)
from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.contact import service
from nexa.contact.schemas import ContactCreate, ContactOut, ContactUpdate, full_name
from nexa.core.filtering import ListQuery
from nexa.core.schemas import Page, Problem
from nexa.models import Contact

router = APIRouter(
    prefix="/contacts",
    tags=["contacts"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)


def to_out(contact: Contact) -> ContactOut:
    data = {c.key: getattr(contact, c.key) for c in Contact.__mapper__.column_attrs}
    data["full_name"] = full_name(contact.first_name, contact.last_name)
    return ContactOut.model_validate(data)


def _page(rows: list[Contact], next_cursor: str | None, query: ListQuery) -> dict[str, Any]:
    items = [select_fields(to_out(r).model_dump(mode="json"), query.fields) for r in rows]
    return {"items": items, "next_cursor": next_cursor}


@router.get("", response_model=Page[dict[str, Any]], summary="List contacts")
def list_contacts(
    session: SessionDep,
    actor: ActorDep,
    query: ListQueryDep,
    deleted: Annotated[bool, Query(description="List the bin (soft-deleted) instead")] = False,
) -> Response:
    query.include_deleted = deleted
    rows, next_cursor = service.list_contacts(session, actor, query)
    return model_response(Page[dict[str, Any]], _page(rows, next_cursor, query))


@router.post(
    "",
    response_model=ContactOut,
    status_code=201,
    summary="Create a contact",
    responses={409: {"model": Problem}},
)
def create_contact(
    request: Request,
    body: ContactCreate,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    def create() -> tuple[ContactOut, int]:
        contact = service.create_contact(session, actor, body)
        return to_out(contact), contact.version

    return idempotent_create(
        request, session, actor, idempotency_key, body.model_dump(mode="json"), create
    )


@router.get("/{contact_id}", response_model=ContactOut, summary="Get a contact")
def get_contact(contact_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    contact = service.get_contact(session, actor, contact_id)
    return model_response(ContactOut, to_out(contact), version=contact.version)


@router.patch(
    "/{contact_id}",
    response_model=ContactOut,
    summary="Update a contact",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
)
def update_contact(
    contact_id: uuid.UUID,
    body: ContactUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> ContactOut:
    contact = service.update_contact(
        session, actor, contact_id, body, if_match=parse_if_match(if_match)
    )
    with_etag(response, contact.version)
    return to_out(contact)


add_bin_routes(
    router,
    noun="a contact",
    out_model=ContactOut,
    delete=service.delete_contact,
    restore=service.restore_contact,
    to_out=lambda _session, contact: to_out(contact),
)


@router.get(
    "/{contact_id}/reports",
    response_model=Page[dict[str, Any]],
    summary="Direct reports of a contact",
)
def list_direct_reports(
    contact_id: uuid.UUID, session: SessionDep, actor: ActorDep, query: ListQueryDep
) -> dict[str, Any]:
    rows, next_cursor = service.list_direct_reports(session, actor, contact_id, query)
    return _page(rows, next_cursor, query)
