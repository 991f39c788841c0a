"""Reference data kept per process: what nearly every write reads and an admin rarely
changes (custom field definitions, the active scoring model, routing settings, the lists
the product maintains).

A ``TableCache`` names the tables its values are read from. Any write to one of them through
a session of this process (flushed objects; bulk INSERT, UPDATE or DELETE statements) empties
it when flushed and again when that transaction ends, so this process's next request sees
the change. A change made by another process (a second web worker, the CLI, a job worker)
applies there at the latest ``ttl`` seconds later — the same rule as the API-key actor cache
(``nexa.auth.service``). Values must be immutable snapshots (frozen dataclasses, tuples,
models the caller never mutates), never ORM instances bound to a session.

``generation`` keeps a reader that loaded before a concurrent change emptied the cache from
storing what it read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")

CACHE_SECONDS = 5.0
_CHANGED = "nexa_cached_tables_changed"


class TableCache:
    def __init__(
        self,
        name: str,
        tables: Iterable[str],
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.tables = frozenset(tables)
        self.ttl = ttl
        self.clock = clock
        self.generation = 0
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of ``key``, else ``load()`` (stored unless the cache was emptied
        while it ran)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self.clock():
            value: T = entry[1]
            return value
        generation = self.generation
        value = load()
        if self.ttl > 0:
            with self._lock:
                if generation == self.generation:
                    self._entries[key] = (self.clock() + self.ttl, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store a value the caller has just read (it replaces the cached one)."""
        if self.ttl > 0:
            with self._lock:
                self._entries[key] = (self.clock() + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


_caches: list[TableCache] = []


def clear_all() -> None:
    """Empty every cache (tests, after rolling back a transaction the sessions never saw)."""
    for cache in _caches:
        cache.clear()


def _changed(session: Session, tables: set[str]) -> None:
    if not tables:
        return
    hit = False
    for cache in _caches:
        if cache.tables & tables:
            cache.clear()
            hit = True
    if hit:
        session.info.setdefault(_CHANGED, set()).update(tables)


@event.listens_for(Session, "after_flush")
def _on_flush(session: Session, _context: Any) -> None:
    tables: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        tables.update(t.name for t in inspect(obj).mapper.tables)
    _changed(session, tables)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name is not None:
        _changed(state.session, {name})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _on_transaction_end(session: Session) -> None:
    # again once the change is visible (or gone): a reader that loaded before it cannot have
    # stored its reading (generation), and one that loads after sees the new state
    tables = session.info.pop(_CHANGED, None)
    if tables:
        for cache in _caches:
            if cache.tables & tables:
                cache.clear()


__all__ = ["CACHE_SECONDS", "TableCache", "clear_all"]
