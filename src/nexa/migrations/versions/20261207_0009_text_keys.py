"""normalised keys for unique names and emails (look-alikes are the same value)

Account names, contact and lead emails, product SKUs, list names, user emails, team and
pipeline names get a ``*_key`` column filled with ``nexa.core.text.text_key`` (NFKC,
invisible characters removed, whitespace collapsed, case folded), and the unique indexes
move from ``lower(column)`` to the key. When existing rows already share a key (``Acme`` and
``Ａｃｍｅ``, ``ann@x.io`` and ``ann@x.io`` with a zero-width space) the migration refuses and
lists them, ids and values, without changing anything: which twin to keep is a person's
decision (rename, merge or delete one, then upgrade again).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

from nexa.core.text import text_key

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LIVE = "deleted_at IS NULL"


class KeyedColumn(NamedTuple):
    table: str
    column: str
    key: str
    index: str
    # the rows among which keys are unique (None: every row)
    where: str | None
    # the unique index this replaces: (expression, where), None when there was none
    old: tuple[str, str | None] | None

    @property
    def new_where(self) -> str | None:
        if self.where is None:
            return None
        return f"{self.where} AND {self.key} IS NOT NULL"


KEYED = (
    KeyedColumn(
        "accounts", "name", "name_key", "uq_accounts_name_live", LIVE, ("lower(name)", LIVE)
    ),
    KeyedColumn(
        "contacts",
        "email",
        "email_key",
        "uq_contacts_email_live",
        LIVE,
        ("lower(email)", f"{LIVE} AND email IS NOT NULL"),
    ),
    KeyedColumn(
        "leads",
        "email",
        "email_key",
        "uq_leads_email_live",
        LIVE,
        ("lower(email)", f"{LIVE} AND email IS NOT NULL"),
    ),
    KeyedColumn("products", "sku", "sku_key", "uq_products_sku_live", LIVE, ("lower(sku)", LIVE)),
    KeyedColumn("lists", "name", "name_key", "uq_lists_name_live", LIVE, ("lower(name)", LIVE)),
    KeyedColumn("users", "email", "email_key", "uq_users_email", None, ("email", None)),
    KeyedColumn("teams", "name", "name_key", "uq_teams_name_key", None, None),
    KeyedColumn("pipelines", "name", "name_key", "uq_pipelines_name_key", None, None),
)
MAX_LISTED = 50


class KeyCollision(RuntimeError):
    """Existing rows share a key: the migration refuses rather than pick a winner."""


def _shown(record_id: Any) -> str:
    """An id as people read it (SQLite stores UUIDs as 32 hex digits)."""
    try:
        return str(uuid.UUID(str(record_id)))
    except ValueError:
        return str(record_id)


def _keys(conn: Any, spec: KeyedColumn) -> tuple[list[dict[str, Any]], list[str]]:
    """Every row's new key, and the collisions among the rows that must be unique."""
    live = f", CASE WHEN {spec.where} THEN 1 ELSE 0 END" if spec.where else ", 1"
    rows = conn.execute(
        sa.text(f"SELECT id, {spec.column}{live} FROM {spec.table} ORDER BY id")  # noqa: S608
    ).all()
    updates: list[dict[str, Any]] = []
    holders: dict[str, list[tuple[Any, str]]] = {}
    for record_id, value, counts in rows:
        key = text_key(value)
        updates.append({"id": record_id, "key": key})
        if key is not None and counts:
            holders.setdefault(key, []).append((record_id, value))
    collisions = [
        f"{spec.table}.{spec.column} key {key!r}: "
        + ", ".join(f"{_shown(record_id)} {value!r}" for record_id, value in same)
        for key, same in holders.items()
        if len(same) > 1
    ]
    return updates, collisions


def _index(spec: KeyedColumn, columns: list[Any], where: str | None) -> None:
    clause = sa.text(where) if where else None
    op.create_index(
        spec.index,
        spec.table,
        columns,
        unique=True,
        sqlite_where=clause,
        postgresql_where=clause,
    )


def upgrade() -> None:
    conn = op.get_bind()
    # every key is worked out and checked before anything changes
    planned = [(spec, *_keys(conn, spec)) for spec in KEYED]
    collisions = [c for _, _, found in planned for c in found]
    if collisions:
        listed = "\n  ".join(collisions[:MAX_LISTED])
        more = (
            f"\n  … and {len(collisions) - MAX_LISTED} more" if len(collisions) > MAX_LISTED else ""
        )
        raise KeyCollision(
            f"{len(collisions)} group(s) of records share a name or email once look-alike "
            "characters are made equal (fullwidth, accents written in two ways, invisible "
            "characters, case); nothing was changed. Rename, merge or delete all but one of "
            f"each group, then upgrade again:\n  {listed}{more}"
        )
    for spec, updates, _ in planned:
        op.add_column(spec.table, sa.Column(spec.key, sa.Text(), nullable=True))
        if updates:
            conn.execute(
                sa.text(f"UPDATE {spec.table} SET {spec.key} = :key WHERE id = :id"),  # noqa: S608
                updates,
            )
        if spec.old is not None:
            op.drop_index(spec.index, table_name=spec.table)
        _index(spec, [spec.key], spec.new_where)


def downgrade() -> None:
    for spec in reversed(KEYED):
        op.drop_index(spec.index, table_name=spec.table)
        op.drop_column(spec.table, spec.key)
        if spec.old is not None:
            expression, where = spec.old
            column: Any = expression if expression.isidentifier() else sa.text(expression)
            _index(spec, [column], where)
