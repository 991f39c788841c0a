"""FastAPI dependencies. The request owns the transaction: commit on success, roll back on
any error, then hand outbox rows and queued jobs to the worker (ARCHITECTURE rule 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import contextmanager
from typing import Annotated, Any

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from nexa.api import scopes
from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.db.session import unit_of_work
from nexa.core.errors import NotAuthenticated
from nexa.core.events import enqueue_after_commit
from nexa.core.filtering import ListQuery

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_request_unit_of_work = contextmanager(unit_of_work)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """``unit_of_work`` for one request, with fewer hand-offs to the thread pool (each costs
    ~0.2 ms of CPU). Building the session does no I/O (the connection is taken at its first
    statement, in a worker thread), so it happens here on the event loop. Commit or rollback,
    close and the after-commit hand-over run in a worker thread, shielded from cancellation,
    as FastAPI runs a sync generator dependency's exit — except the end of a SQLite read that
    wrote nothing and queued nothing: its COMMIT only drops a WAL read mark (no lock to wait
    for, no file write), cheaper than the hand-off itself."""
    write = request.method in WRITE_METHODS
    uow = _request_unit_of_work(write=write)
    session = uow.__enter__()
    exit_limiter = CapacityLimiter(1)  # the exit never waits for a free worker thread
    try:
        yield session
    except BaseException as exc:
        with CancelScope(shield=True):
            suppressed = await to_thread.run_sync(
                uow.__exit__, type(exc), exc, exc.__traceback__, limiter=exit_limiter
            )
        if not suppressed:
            raise
    else:
        if not write and _sqlite_read_only(session):
            uow.__exit__(None, None, None)
            return
        with CancelScope(shield=True):
            await to_thread.run_sync(uow.__exit__, None, None, None, limiter=exit_limiter)


_WROTE = "nexa_request_wrote"


def _sqlite_read_only(session: Session) -> bool:
    info = session.info
    return (
        not info.get(_WROTE)
        and not info.get("after_commit_jobs")
        and not info.get("outbox_ids")
        and not (session.new or session.dirty or session.deleted)
        and session.get_bind().dialect.name == "sqlite"
    )


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


# scope="function": the transaction commits before the response leaves, so a client that
# acts on a 201 (or follows a redirect) always finds what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description="An API key issued by an admin (Admin, API keys in the web UI, or "
    "`nexa keys create`), sent as a bearer token. Each operation names the key scopes it "
    "needs (x-required-scopes); a key without them is refused with 403 and missing_scope.",
)


async def get_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Actor:
    """The acting user behind the bearer key. A key resolved in the last few seconds comes
    from ``auth_service.actor_cache`` without I/O, on the event loop; otherwise the key is read
    in a worker thread (never a database call on the loop)."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotAuthenticated("send an API key as 'Authorization: Bearer nexa_…'")
    token = credentials.credentials.strip()
    resolved = auth_service.cached_api_key_actor(token)
    if resolved is None:
        resolved = await run_in_threadpool(auth_service.api_key_actor, session, token)
    actor = resolved.actor
    # the key's scopes against what this operation declares (nexa.api.scopes): one place
    scopes.check(
        actor, request.scope.get("route"), lambda: {**request.query_params, **request.path_params}
    )
    request.state.actor = actor
    if auth_service.needs_touch(resolved):
        # bookkeeping after commit, as a job: a GET's read transaction never becomes a writer;
        # asked once per key and process until last_used_at is due again
        enqueue_after_commit(session, "api_key.touch", str(actor.api_key_id))
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


async def list_query(  # parsing only: no reason for a hand-off to the thread pool
    filter: Annotated[
        list[str] | None,
        Query(
            description="field:operator:value, repeatable (AND); operators: eq ne lt lte gt "
            "gte in not_in contains starts_with is_null. An OR group: any(f1|f2|...) (1 to 10 "
            "filters; a | in a value is \\| and a backslash \\\\). Leads, contacts and "
            "accounts: list:eq:<list id>, list:ne, list:in:<id>,<id>, list:not_in",
            max_length=2000,
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
