"""One router per record type, built from its schemas and its ``RecordService``:
list (filter/sort/cursor/fields, the bin with ``deleted=true``), create (Idempotency-Key),
get (ETag), patch (If-Match), delete to the bin and restore.

No ``from __future__ import annotations`` here: FastAPI reads the body types of the
endpoints built below from their real annotations.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from nexa.api.crud import (
    add_bin_routes,
    idempotent_create,
    model_response,
    parse_if_match,
    select_fields,
    with_etag,
)
from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.core.actor import Actor
from nexa.core.filtering import ListQuery
from nexa.core.schemas import Page, Problem
from nexa.record.service import RecordService

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}


def page_of(
    rows: list[Any], next_cursor: str | None, query: ListQuery, to_out: Callable[[Any], Any]
) -> dict[str, Any]:
    items = [select_fields(to_out(r).model_dump(mode="json"), query.fields) for r in rows]
    return {"items": items, "next_cursor": next_cursor}


def record_router(
    *,
    prefix: str,
    noun: str,
    plural: str,
    service: Callable[[Session, Actor], RecordService[Any]],
    create_model: type[Any],
    update_model: type[Any],
    out_model: type[Any],
    to_out: Callable[[Session, Any], Any] | None = None,
    tags: list[str] | None = None,
) -> APIRouter:
    """The standard REST shape for one record type. ``to_out(session, record)`` defaults to
    ``out_model.model_validate(record)`` (attributes)."""
    router = APIRouter(prefix=prefix, tags=list(tags or [plural]), responses=PROBLEMS)
    shape = to_out or (lambda _s, record: out_model.model_validate(record, from_attributes=True))

    @router.get("", response_model=Page[dict[str, Any]], summary=f"List {plural}")
    def list_records(
        session: SessionDep,
        actor: ActorDep,
        query: ListQueryDep,
        deleted: Annotated[bool, Query(description="List the bin (soft-deleted) instead")] = False,
    ) -> Response:
        query.include_deleted = deleted
        rows, next_cursor = service(session, actor).list(query)
        page = page_of(rows, next_cursor, query, lambda r: shape(session, r))
        return model_response(Page[dict[str, Any]], page)

    @router.post(
        "",
        response_model=out_model,
        status_code=201,
        summary=f"Create {noun}",
        responses={409: {"model": Problem}},
    )
    def create_record(
        request: Request,
        body: create_model,  # type: ignore[valid-type]
        session: SessionDep,
        actor: ActorDep,
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> JSONResponse:
        def create() -> tuple[Any, int]:
            record = service(session, actor).create(body)
            return shape(session, record), record.version

        return idempotent_create(
            request,
            session,
            actor,
            idempotency_key,
            body.model_dump(mode="json"),  # type: ignore[attr-defined]
            create,
        )

    @router.get("/{record_id}", response_model=out_model, summary=f"Get {noun}")
    def get_record(record_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
        record = service(session, actor).get(record_id)
        return model_response(out_model, shape(session, record), version=record.version)

    @router.patch(
        "/{record_id}",
        response_model=out_model,
        summary=f"Update {noun}",
        responses={409: {"model": Problem}, 412: {"model": Problem}},
    )
    def update_record(
        record_id: uuid.UUID,
        body: update_model,  # type: ignore[valid-type]
        session: SessionDep,
        actor: ActorDep,
        response: Response,
        if_match: Annotated[str | None, Header(max_length=100)] = None,
    ) -> Any:
        record = service(session, actor).update(record_id, body, if_match=parse_if_match(if_match))
        with_etag(response, record.version)
        return shape(session, record)

    add_bin_routes(
        router,
        noun=noun,
        out_model=out_model,
        delete=lambda s, a, rid, if_match: service(s, a).delete(rid, if_match=if_match),
        restore=lambda s, a, rid: service(s, a).restore(rid),
        to_out=shape,
    )
    return router
