"""Counting the SQL statements a block issues (query-count baselines)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from nexa.core.db import get_engine


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The statements run inside the block (savepoint bookkeeping left out)."""
    statements: list[str] = []
    engine = get_engine()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
