"""Sessions: the caller owns the transaction (commit once, or roll back on error)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nexa.core.db.engine import get_engine


def sessionmaker_for(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    # One per engine and mode, kept on the engine: a sessionmaker defines a Session subclass
    # (and propagates the Session-level event listeners to it), ~0.1 ms of CPU a request
    # should not redo.
    makers: dict[bool, sessionmaker[Session]] = engine.__dict__.setdefault(_MAKERS, {})
    maker = makers.get(write)
    if maker is None:
        bind = engine.execution_options(nexa_write=True) if write else engine
        maker = makers[write] = sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
    return maker


_MAKERS = "_nexa_sessionmakers"


def unit_of_work(*, write: bool) -> Iterator[Session]:
    """A request's session (a FastAPI dependency body): commit once or roll back, then hand
    outbox rows and queued jobs to the worker."""
    from nexa.core.events import discard_after_commit, run_after_commit

    session = sessionmaker_for(get_engine(), write=write)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        discard_after_commit(session)
        raise
    finally:
        session.close()
    run_after_commit(session)


@contextmanager
def session_scope(*, write: bool = True, engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work for jobs and the CLI: commit once at the end, roll back on error."""
    from nexa.core.events import run_after_commit

    session = sessionmaker_for(engine or get_engine(), write=write)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    run_after_commit(session)
