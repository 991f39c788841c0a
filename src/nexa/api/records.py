"""One router per record type, built from its schemas and its ``RecordService``:
list (filter/sort/cursor/fields, the bin with ``deleted=true``), create (Idempotency-Key),
get (ETag), patch (If-Match), delete to the bin and restore.

A domain adds its own routes to the router this returns (after the generic ones), or, for
fixed paths that ``/{id}`` would otherwise shadow, through ``fixed_routes`` (registered
before the ``/{id}`` routes); ``operations`` chooses which generic routes exist. Every
answer is shaped by the object's ``Shaper`` (record/shapes.py): one record, or a whole page
at once (one query for a page's extras, not one per row).

No ``from __future__ import annotations`` here: FastAPI reads the body types of the
endpoints built below from their real annotations.
"""

import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
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
from nexa.api.scopes import needs
from nexa.core.actor import Actor
from nexa.core.filtering import ListQuery
from nexa.core.schemas import Page, Problem
from nexa.record.service import RecordService
from nexa.record.shapes import Shaper

OPERATIONS = ("list", "create", "get", "update", "delete", "restore")

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
    shaper: Shaper[Any],
    tags: list[str] | None = None,
    operations: Collection[str] = OPERATIONS,
    fixed_routes: Callable[[APIRouter], None] | None = None,
    id_param: str = "record_id",
    names: Mapping[str, str] | None = None,
    more_scopes: Mapping[str, tuple[str, ...]] | None = None,
) -> APIRouter:
    """The standard REST shape for one record type. ``shaper`` (the object's, from
        ``<domain>/shape.py``) shapes one record and a page. ``id_param`` names the path
        parameter of get and patch, ``names`` the routes per operation (their OpenAPI operation
        ids: ``{"get": "get_account"}``), ``more_scopes`` the key scopes an operation needs
    besides the object's own (a reference the service reads: ``{"create": ("list:read",)}``)."""
    unknown = set(operations) - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown record operations: {sorted(unknown)}")
    # the API key scope of each operation: the permission its service checks
    obj = service.repository.object_name  # type: ignore[attr-defined]
    more = more_scopes or {}
    router = APIRouter(prefix=prefix, tags=list(tags or [plural]), responses=PROBLEMS)
    shape = shaper.one
    shape_all = shaper.page
    name = {op: f"{op}_records" if op == "list" else f"{op}_record" for op in OPERATIONS}
    name.update(names or {})
    record_path = "/{" + id_param + "}"
    RecordId = Annotated[uuid.UUID, Path(alias=id_param)]

    if "list" in operations:

        @router.get(
            "",
            response_model=Page[dict[str, Any]],
            summary=f"List {plural}",
            name=name["list"],
            openapi_extra=needs(f"{obj}:read"),
        )
        def list_records(
            session: SessionDep,
            actor: ActorDep,
            query: ListQueryDep,
            deleted: Annotated[
                bool, Query(description="List the bin (soft-deleted) instead")
            ] = False,
        ) -> Response:
            query.include_deleted = deleted
            rows, next_cursor = service(session, actor).list(query)
            items = [
                select_fields(out.model_dump(mode="json"), query.fields)
                for out in shape_all(session, rows)
            ]
            page = {"items": items, "next_cursor": next_cursor}
            return model_response(Page[dict[str, Any]], page)

    if fixed_routes is not None:
        fixed_routes(router)

    if "create" in operations:

        @router.post(
            "",
            response_model=out_model,
            status_code=201,
            summary=f"Create {noun}",
            responses={409: {"model": Problem}},
            name=name["create"],
            openapi_extra=needs(f"{obj}:create", *more.get("create", ())),
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

    if "get" in operations:

        @router.get(
            record_path,
            response_model=out_model,
            summary=f"Get {noun}",
            name=name["get"],
            openapi_extra=needs(f"{obj}:read"),
        )
        def get_record(record_id: RecordId, session: SessionDep, actor: ActorDep) -> Response:
            record = service(session, actor).get(record_id)
            return model_response(out_model, shape(session, record), version=record.version)

    if "update" in operations:

        @router.patch(
            record_path,
            response_model=out_model,
            summary=f"Update {noun}",
            responses={409: {"model": Problem}, 412: {"model": Problem}},
            name=name["update"],
            openapi_extra=needs(f"{obj}:read", f"{obj}:write", *more.get("update", ())),
        )
        def update_record(
            record_id: RecordId,
            body: update_model,  # type: ignore[valid-type]
            session: SessionDep,
            actor: ActorDep,
            response: Response,
            if_match: Annotated[str | None, Header(max_length=100)] = None,
        ) -> Any:
            record = service(session, actor).update(
                record_id, body, if_match=parse_if_match(if_match)
            )
            with_etag(response, record.version)
            return shape(session, record)

    if "delete" in operations or "restore" in operations:
        add_bin_routes(
            router,
            noun=noun,
            out_model=out_model,
            delete=lambda s, a, rid, if_match: service(s, a).delete(rid, if_match=if_match),
            restore=lambda s, a, rid: service(s, a).restore(rid),
            to_out=shape,
            operations=operations,
            names=name,
            scopes=(f"{obj}:read", f"{obj}:delete"),
        )
    return router
