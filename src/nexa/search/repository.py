"""All of global search's SQL: the documents and the full-text match on each engine."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Float, String, Uuid, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.repository import Repository, unscoped
from nexa.models import Account, SearchDocument

_PG_MATCH = text(
    "SELECT d.record_type, d.record_id, "
    "ts_rank(d.tsv, to_tsquery('simple', :q)) AS score "
    "FROM search_documents d "
    "WHERE d.tsv @@ to_tsquery('simple', :q) AND d.record_type IN :types "
    "ORDER BY score DESC, d.rowid LIMIT :n"
)
_SQLITE_MATCH = text(
    "SELECT d.record_type, d.record_id, -bm25(search_fts, 10.0, 1.0) AS score "
    "FROM search_fts JOIN search_documents d ON d.rowid = search_fts.rowid "
    "WHERE search_fts MATCH :q AND d.record_type IN :types "
    "ORDER BY bm25(search_fts, 10.0, 1.0), d.rowid LIMIT :n"
)
_COLUMNS = {"record_type": String, "record_id": Uuid, "score": Float}


class SearchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def is_postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    # ---- the documents ----------------------------------------------------------------------

    def remove(self, record_id: uuid.UUID) -> None:
        self.session.execute(delete(SearchDocument).where(SearchDocument.record_id == record_id))

    def remove_all(self) -> None:
        self.session.execute(delete(SearchDocument))

    def document(self, record_id: uuid.UUID) -> SearchDocument | None:
        return self.session.scalars(
            select(SearchDocument).where(SearchDocument.record_id == record_id)
        ).first()

    def insert_documents(self, rows: list[dict[str, Any]]) -> None:
        self.session.execute(insert(SearchDocument), rows)

    def live_records(self, model: type[Any], batch: int) -> Iterator[Any]:
        """Every record of ``model`` not in the bin, by id (system view), ``batch`` at a time."""
        stmt = unscoped(select(model).where(model.deleted_at.is_(None)).order_by(model.id))
        return iter(self.session.scalars(stmt.execution_options(yield_per=batch)))

    def account_names(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
        """Names of accounts (system view: the index is filtered per reader at query time)."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        stmt = select(Account.id, Account.name).where(Account.id.in_(wanted))
        return {row.id: row.name for row in self.session.execute(unscoped(stmt))}

    # ---- queries -----------------------------------------------------------------------------

    def matches(
        self, match: str, types: tuple[str, ...], limit: int
    ) -> list[tuple[str, uuid.UUID, float]]:
        """The best ``limit`` documents of ``types`` for ``match`` (a ``to_tsquery`` text on
        PostgreSQL, an FTS5 query on SQLite), best first, with their rank."""
        sql = _PG_MATCH if self.is_postgresql() else _SQLITE_MATCH
        stmt = sql.bindparams(bindparam("types", expanding=True)).columns(**_COLUMNS)
        result = self.session.execute(stmt, {"q": match, "types": list(types), "n": limit})
        return [(row.record_type, row.record_id, float(row.score or 0.0)) for row in result]

    def readable_rows(self, repo: Repository[Any], actor: Actor, ids: list[uuid.UUID]) -> list[Any]:
        return list(self.session.scalars(repo.readable(actor).where(repo.model.id.in_(ids))).all())
