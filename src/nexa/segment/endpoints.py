"""/api/v1/lists: CRUD (the standard record router), members and memberships.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.core.names import person_name
from nexa.core.schemas import Problem
from nexa.segment import service
from nexa.segment.schemas import (
    ListCreate,
    ListObject,
    ListOut,
    ListUpdate,
    MemberIds,
    MemberOut,
    MemberPage,
    MembersChanged,
    Memberships,
)
from nexa.segment.shape import LISTS


def member_out(record_type: str, record: Any) -> MemberOut:
    name = getattr(record, "name", None)
    if name is None:
        name = person_name(getattr(record, "first_name", None), getattr(record, "last_name", None))
    return MemberOut(
        id=record.id,
        record_type=record_type,
        name=name or "",
        email=getattr(record, "email", None),
        owner_id=getattr(record, "owner_id", None),
    )


extra = APIRouter(prefix="/lists", tags=["lists"], responses=PROBLEMS)
# adding records to a list needs reading them (of the list's object, which the key does not
# name: any of these, and the service checks the list's own against the key's grants)
MEMBER_READ = "contact:read|lead:read|account:read"


@extra.get(
    "/memberships",
    response_model=Memberships,
    summary="The lists that hold a record",
    openapi_extra=needs("list:read", "{record_type}:read"),
)
def list_memberships(
    session: SessionDep,
    actor: ActorDep,
    record_type: Annotated[ListObject, Query(description="contact, lead or account")],
    record_id: uuid.UUID,
) -> Memberships:
    lists = service.memberships(session, actor, record_type, record_id)
    return Memberships(items=[LISTS.one(session, lst) for lst in lists])


@extra.get(
    "/{list_id}/members",
    response_model=MemberPage,
    summary="The members of a list",
    openapi_extra=needs("list:read"),
)
def list_members(
    list_id: uuid.UUID, session: SessionDep, actor: ActorDep, query: ListQueryDep
) -> MemberPage:
    lst, rows, next_cursor = service.list_members(session, actor, list_id, query)
    return MemberPage(items=[member_out(lst.object_type, r) for r in rows], next_cursor=next_cursor)


@extra.post(
    "/{list_id}/members",
    response_model=MembersChanged,
    summary="Add records to a static list",
    responses={409: {"model": Problem}},
    openapi_extra=needs("list:read", "list:add_member", MEMBER_READ),
)
def add_members(
    list_id: uuid.UUID, body: MemberIds, session: SessionDep, actor: ActorDep
) -> MembersChanged:
    added, unchanged = service.add_members(session, actor, list_id, body.record_ids)
    return MembersChanged(list_id=list_id, changed=added, unchanged=unchanged)


@extra.delete(
    "/{list_id}/members",
    response_model=MembersChanged,
    summary="Remove records from a static list",
    responses={409: {"model": Problem}},
    openapi_extra=needs("list:read", "list:add_member"),
)
def remove_members(
    list_id: uuid.UUID, body: MemberIds, session: SessionDep, actor: ActorDep
) -> MembersChanged:
    removed, unchanged = service.remove_members(session, actor, list_id, body.record_ids)
    return MembersChanged(list_id=list_id, changed=removed, unchanged=unchanged)


@extra.delete(
    "/{list_id}/members/{record_id}",
    response_model=MembersChanged,
    summary="Remove one record from a static list",
    responses={409: {"model": Problem}},
    openapi_extra=needs("list:read", "list:add_member"),
)
def remove_member(
    list_id: uuid.UUID, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> MembersChanged:
    removed, unchanged = service.remove_members(session, actor, list_id, [record_id])
    return MembersChanged(list_id=list_id, changed=removed, unchanged=unchanged)


crud = record_router(
    prefix="/lists",
    noun="a list",
    plural="lists",
    service=service.ListService,
    create_model=ListCreate,
    update_model=ListUpdate,
    out_model=ListOut,
    shaper=LISTS,
)

router = APIRouter()
router.include_router(extra)  # first: /lists/memberships before /lists/{record_id}
router.include_router(crud)
