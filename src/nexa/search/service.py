"""Global search: one index over leads, contacts, accounts and deals, filtered per reader.

Documents are kept by an in-transaction subscriber (``nexa.search.subscribers``); a query
matches them with the engine's full-text index (FTS5 + bm25 on SQLite, a ``tsvector`` + GIN
and ``ts_rank`` on PostgreSQL) among the records the actor can read: each type's visibility
clause is part of the match query (issue 15: filtering after the match starved a reader whose
records were outranked by many hidden ones). The rows behind the hits are then read through
``readable(actor)``, one query per record type, for their titles.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.repository import REPOSITORIES, SCOPED
from nexa.models import SearchDocument
from nexa.search.documents import (
    MODELS,
    SEARCH_TYPES,
    account_id_of,
    body_of,
    document_title,
    subtitle_of,
    title_of,
    words,
)
from nexa.search.repository import SearchRepository

MAX_TOKENS = 8
MAX_TOKEN_LENGTH = 64
REINDEX_BATCH = 1000


@dataclass(frozen=True)
class SearchHit:
    record_type: str
    id: uuid.UUID
    title: str
    subtitle: str | None
    score: float


# ---- the index -------------------------------------------------------------------------------


def remove_document(session: Session, record_id: uuid.UUID) -> None:
    SearchRepository(session).remove(record_id)


def index_record(
    session: Session, record_type: str, record_id: uuid.UUID, *, new: bool = False
) -> None:
    """Bring the record's document up to date with its current row (in-transaction).
    ``new``: a record just created, which has no document yet (none is read back)."""
    model = MODELS[record_type]
    record = session.get(model, record_id, execution_options={SCOPED: True})
    if record is None or record.deleted_at is not None:
        remove_document(session, record_id)
        return
    account_id = account_id_of(record_type, record)
    repo = SearchRepository(session)
    account_name = repo.account_names([account_id]).get(account_id) if account_id else None
    values = {
        "record_type": record_type,
        "owner_id": record.owner_id,
        "title": document_title(record_type, record),
        "body": body_of(record_type, record, account_name),
        "updated_at": record.updated_at or utcnow(),
    }
    doc = None if new else repo.document(record_id)
    if doc is None:
        session.add(SearchDocument(record_id=record_id, **values))
    else:
        for name, value in values.items():
            setattr(doc, name, value)
    if not new:  # a new record's document goes with the transaction's next flush
        session.flush()


def index_new_records(session: Session, record_type: str, records: list[Any]) -> int:
    """Documents of records that have none yet (just created), in one executemany: what
    ``index_record`` writes for each. ``records`` need only the columns (any object with
    the attributes will do)."""
    return _insert_documents(session, record_type, records)


def reindex(session: Session) -> int:
    """Rebuild every document from the four tables (system view): the number indexed."""
    repo = SearchRepository(session)
    repo.remove_all()
    count = 0
    for record_type, model in MODELS.items():
        batch: list[Any] = []
        for record in repo.live_records(model, REINDEX_BATCH):
            batch.append(record)
            if len(batch) >= REINDEX_BATCH:
                count += _insert_documents(session, record_type, batch)
                batch = []
        count += _insert_documents(session, record_type, batch)
    session.flush()
    return count


def _insert_documents(session: Session, record_type: str, records: list[Any]) -> int:
    if not records:
        return 0
    repo = SearchRepository(session)
    names = repo.account_names(account_id_of(record_type, r) for r in records)
    rows = []
    for r in records:
        account_id = account_id_of(record_type, r)
        rows.append(
            {
                "record_type": record_type,
                "record_id": r.id,
                "owner_id": r.owner_id,
                "title": document_title(record_type, r),
                "body": body_of(record_type, r, names.get(account_id) if account_id else None),
                "updated_at": r.updated_at or utcnow(),
            }
        )
    repo.insert_documents(rows)
    return len(rows)


# ---- queries ---------------------------------------------------------------------------------


def query_tokens(q: str) -> list[str]:
    """The user's words, stripped of any query syntax; 422 field q when none are left."""
    tokens = [t[:MAX_TOKEN_LENGTH] for t in words(q)][:MAX_TOKENS]
    if not tokens:
        raise ValidationFailed("type at least one letter or digit to search for", field="q")
    return tokens


def phone_digits(q: str) -> str | None:
    """The digits of a query that looks like (part of) a phone number."""
    stripped = q.strip()
    if not stripped or any(not (c.isdigit() or c in " +-().") for c in stripped):
        return None
    digits = "".join(c for c in stripped if c.isdigit())
    return digits if len(digits) >= 4 else None


def fts5_query(tokens: list[str], digits: str | None) -> str:
    """Each token quoted, the last one a prefix; a phone query also tries its digits."""
    quoted = [f'"{t}"' for t in tokens]
    quoted[-1] += "*"
    expr = " ".join(quoted)
    if digits and len(tokens) > 1:
        expr = f'({expr}) OR "{digits}"*'
    return expr


def tsquery(tokens: list[str], digits: str | None) -> str:
    expr = " & ".join(f"{t.lower()}:*" for t in tokens)
    if digits and len(tokens) > 1:
        expr = f"({expr}) | {digits}:*"
    return expr


def _matches(
    session: Session, actor: Actor, q: str, types: tuple[str, ...], limit: int
) -> list[tuple[str, uuid.UUID, float]]:
    tokens = query_tokens(q)
    digits = phone_digits(q)
    repo = SearchRepository(session)
    match = tsquery(tokens, digits) if repo.is_postgresql() else fts5_query(tokens, digits)
    return repo.matches(match, actor, types, limit)


def parse_types(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return SEARCH_TYPES
    types = tuple(dict.fromkeys(t.strip() for t in raw.split(",") if t.strip()))
    unknown = [t for t in types if t not in SEARCH_TYPES]
    if unknown or not types:
        raise ValidationFailed(
            f"'{(unknown or [''])[0][:40]}' is not searchable; choose from "
            f"{', '.join(SEARCH_TYPES)}",
            field="types",
        )
    return types


def search(
    session: Session, actor: Actor, q: str, *, types: str | None = None, limit: int = 20
) -> list[SearchHit]:
    """The best ``limit`` hits for ``q`` among the records ``actor`` can read."""
    wanted = parse_types(types)
    if len(q) > 200:
        raise ValidationFailed("at most 200 characters", field="q")
    matches = _matches(session, actor, q, wanted, limit)
    by_type: dict[str, list[uuid.UUID]] = {}
    for record_type, record_id, _ in matches:
        by_type.setdefault(record_type, []).append(record_id)
    readable: dict[uuid.UUID, tuple[str, Any]] = {}
    for record_type, ids in by_type.items():
        repo_cls = REPOSITORIES.get(record_type)
        if repo_cls is None:
            continue
        rows = SearchRepository(session).readable_rows(repo_cls(session), actor, ids)
        for row in rows:
            readable[row.id] = (record_type, row)
    accounts = SearchRepository(session).account_names(
        account_id_of(t, r) for t, r in readable.values()
    )
    hits: list[SearchHit] = []
    for record_type, record_id, score in matches:
        found = readable.get(record_id)
        if found is None:
            continue
        row = found[1]
        account_id = account_id_of(record_type, row)
        hits.append(
            SearchHit(
                record_type=record_type,
                id=record_id,
                title=title_of(record_type, row),
                subtitle=subtitle_of(
                    record_type, row, accounts.get(account_id) if account_id else None
                ),
                score=round(score, 6),
            )
        )
        if len(hits) >= limit:
            break
    return hits
