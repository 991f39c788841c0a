"""One engine per process and database URL; SQLite in WAL mode with foreign keys on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from nexa.config import get_settings

_engines: dict[str, Engine] = {}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            from pathlib import Path

            from nexa.core.files import private_file

            # created 0600 before SQLite opens it: its -wal and -shm files take its mode
            private_file(Path(path.split("?", 1)[0]))
            if "poolclass" not in kwargs:
                # One pooled connection per worker thread (anyio's default 40): past
                # pool_size each checkout opens a connection (PRAGMAs, schema parse) and
                # closes it on return, ~1 ms every request under 8+ concurrent ones.
                kwargs.setdefault("pool_size", 40)
                kwargs.setdefault("max_overflow", 20)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below), so the driver must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writing unit of work takes the write lock up front: two writers then queue on
        # busy_timeout instead of one failing with SQLITE_BUSY after it has already read.
        if conn.get_execution_options().get("nexa_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().effective_database_url
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


def reset_engine() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
