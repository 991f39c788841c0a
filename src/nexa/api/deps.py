"""FastAPI dependencies. The request owns the transaction: commit on success, roll back on
any error, then hand outbox rows and queued jobs to the worker (ARCHITECTURE rule 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.db.session import unit_of_work
from nexa.core.errors import NotAuthenticated
from nexa.core.events import enqueue_after_commit
from nexa.core.filtering import ListQuery

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_session(request: Request) -> Iterator[Session]:
    yield from unit_of_work(write=request.method in WRITE_METHODS)


# scope="function": the transaction commits before the response leaves, so a client that
# acts on a 201 (or follows a redirect) always finds what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description="An API key issued by an admin (POST /api/v1/api-keys), sent as a bearer token.",
)


def get_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotAuthenticated("send an API key as 'Authorization: Bearer nexa_…'")
    user, key = auth_service.authenticate_api_key(session, credentials.credentials.strip())
    actor = auth_service.actor_for(session, user, key)
    request.state.actor = actor
    if auth_service.key_needs_touch(key):
        # bookkeeping after commit, as a job: a GET's read transaction never becomes a writer
        enqueue_after_commit(session, "api_key.touch", str(key.id))
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def list_query(
    filter: Annotated[
        list[str] | None,
        Query(
            description="field:operator:value, repeatable; operators: eq ne lt lte gt gte "
            "in not_in contains starts_with is_null",
            max_length=500,
        ),
    ] = None,
    sort: Annotated[str | None, Query(description="field or -field", max_length=80)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    fields: Annotated[
        str | None, Query(description="comma-separated fields to return", max_length=1000)
    ] = None,
) -> ListQuery:
    return ListQuery(
        filters=filter or [],
        sort=sort,
        cursor=cursor,
        limit=limit,
        fields=[f.strip() for f in fields.split(",") if f.strip()] if fields else None,
    )


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
