"""Idempotency-Key on POST: the key is stored in the same transaction as the created record.

Two identical POSTs racing: the database's unique index on (principal, key) makes the
second wait for the first to commit (PostgreSQL row lock; SQLite's write lock taken by
BEGIN IMMEDIATE), then it finds the stored response and replays it. A different body under
the same key is a 422.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.core.errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 255


def request_hash(method: str, path: str, body: Any) -> str:
    raw = json.dumps([method, path, body], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def claim(
    session: Session, table: Table, principal: str, key: str, digest: str
) -> tuple[int, Any] | None:
    """Claim ``key``; return the stored (status, body) when it was already used."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key must be 1-255 printable characters", field="Idempotency-Key"
        )
    existing = _stored(session, table, principal, key)
    if existing is None:
        try:
            with session.begin_nested():
                session.execute(
                    table.insert().values(
                        id=uuid.uuid4(),
                        principal=principal,
                        key=key,
                        request_hash=digest,
                        status_code=0,
                    )
                )
            return None
        except IntegrityError:
            existing = _stored(session, table, principal, key)
    if existing is None:
        raise Conflict("a request with this Idempotency-Key is in progress; retry shortly")
    stored_hash, status, body = existing
    if stored_hash != digest:
        raise ValidationFailed(
            "this Idempotency-Key was used with a different request body", field="Idempotency-Key"
        )
    if status == 0:
        raise Conflict("a request with this Idempotency-Key is in progress; retry shortly")
    return status, body


def record(
    session: Session, table: Table, principal: str, key: str, status: int, body: Any
) -> None:
    session.execute(
        table.update()
        .where(table.c.principal == principal, table.c.key == key)
        .values(status_code=status, response=body)
    )


def _stored(
    session: Session, table: Table, principal: str, key: str
) -> tuple[str, int, Any] | None:
    row = session.execute(
        select(table.c.request_hash, table.c.status_code, table.c.response).where(
            table.c.principal == principal, table.c.key == key
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])
