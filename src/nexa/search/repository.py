"""All of global search's SQL: the documents and the full-text match on each engine."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import False_, True_

from nexa.core.actor import Actor
from nexa.core.repository import REPOSITORIES, Repository, unscoped
from nexa.models import Account, SearchDocument

_DOCS = SearchDocument.__table__
# FTS5's external-content table over search_documents (the migration creates it on SQLite)
_FTS = table("search_fts", column("rowid"))
_BM25: ColumnElement[float] = literal_column("bm25(search_fts, 10.0, 1.0)")


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
        self, match: str, actor: Actor, types: tuple[str, ...], limit: int
    ) -> list[tuple[str, uuid.UUID, float]]:
        """The best ``limit`` documents of ``types`` for ``match`` (a ``to_tsquery`` text on
        PostgreSQL, an FTS5 query on SQLite) among the records ``actor`` can read, best
        first, with their rank. Visibility is part of the query (each type's
        ``visibility_clause``, the one lists use), so hidden matches never take the places
        of visible ones."""
        docs = _DOCS.c
        visible = [v for v in (self._visible(actor, t) for t in types) if v is not None]
        if not visible:
            return []
        if self.is_postgresql():
            query = func.to_tsquery("simple", bindparam("q"))
            score: Any = func.ts_rank(literal_column("search_documents.tsv"), query)
            stmt = (
                select(docs.record_type, docs.record_id, score.label("score"))
                .where(literal_column("search_documents.tsv").op("@@")(query))
                .order_by(score.desc(), docs.rowid)
            )
        else:
            stmt = (
                select(docs.record_type, docs.record_id, (-_BM25).label("score"))
                .select_from(_FTS.join(_DOCS, docs.rowid == _FTS.c.rowid))
                .where(literal_column("search_fts").op("MATCH")(bindparam("q")))
                .order_by(_BM25, docs.rowid)
            )
        stmt = stmt.where(or_(*visible)).limit(limit)
        # scoped above, type by type: the documents' own select is not a record select
        result = self.session.execute(unscoped(stmt), {"q": match})
        return [(row.record_type, row.record_id, float(row.score or 0.0)) for row in result]

    def _visible(self, actor: Actor, record_type: str) -> ColumnElement[bool] | None:
        """Which documents of ``record_type`` ``actor`` reads: None when none. Documents
        exist only for live records, so a reader who sees every record of the type needs no
        look at its table; otherwise its id must be among those the repository's visibility
        clause selects (measured with bench/search_visibility.py: on SQLite this IN beats a
        correlated EXISTS, 32 ms against 187 ms for a rep whose one lead shares a word with
        50,000 hidden ones)."""
        repo_cls = REPOSITORIES.get(record_type)
        if repo_cls is None:
            return None
        repo = repo_cls(self.session)
        clause = repo.visibility_clause(actor, "read")
        if isinstance(clause, False_):
            return None
        of_type = _DOCS.c.record_type == record_type
        if isinstance(clause, True_):
            return of_type
        model = repo.model
        return and_(of_type, _DOCS.c.record_id.in_(select(model.id).where(clause)))

    def readable_rows(self, repo: Repository[Any], actor: Actor, ids: list[uuid.UUID]) -> list[Any]:
        return list(self.session.scalars(repo.readable(actor).where(repo.model.id.in_(ids))).all())
