"""Revision 0009 (issue 15, point 9): the normalised key columns. On a clean database it fills
the keys and moves the unique indexes onto them (and back on downgrade); when existing rows
share a key it refuses, listing them (ids and values), and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from tests.conftest import BACKEND, PG_ADMIN_URL, _pg_answers

from nexa.migrations import alembic_config, upgrade

AFTER = "0009"


def _down_revision() -> str:
    """0009's parent, in whatever chain it was merged into."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    down = script.get_revision(AFTER).down_revision
    assert isinstance(down, str)
    return down


BEFORE = _down_revision()


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the run's backend, dropped afterwards."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{(tmp_path / 'keys.db').as_posix()}"
        return
    if not _pg_answers():
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432")
    import psycopg

    name = f"nexa_keys_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _insert(url: str, table: str, **values: Any) -> str:
    """One row in ``table`` as revision 0007 had it; returns its id as text."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            meta = sa.MetaData()
            t = sa.Table(table, meta, autoload_with=conn)
            record_id = uuid.uuid4()
            now = datetime.now(UTC)
            row: dict[str, Any] = {"created_at": now, "updated_at": now, "version": 1}
            row["id"] = record_id.hex if engine.dialect.name == "sqlite" else record_id
            for name, default in {
                "custom_fields": {},
                "tags": [],
                "type": "prospect",
                "status": "new",
                "billing_period": "one_time",
                "active": True,
                "kind": "static",
                "object_type": "contact",
                "is_locked": False,
                "lifecycle_stage": "lead",
                "role": "sales_rep",
                "is_active": True,
                "failed_logins": 0,
                "timezone": "UTC",
                "is_default": False,
                "position": 9,
                "account_number": f"ACC-{record_id.hex[:8]}",
            }.items():
                if name in t.c:
                    row[name] = default
            row.update(values)
            conn.execute(t.insert().values(**{k: v for k, v in row.items() if k in t.c}))
    finally:
        engine.dispose()
    return str(record_id)


def _scalars(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)).scalars())
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    return _scalars(url, "SELECT version_num FROM alembic_version")[0]  # type: ignore[no-any-return]


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_clean_database_upgrades_fills_keys_and_downgrades(empty_url: str) -> None:
    upgrade(empty_url, BEFORE)
    _insert(empty_url, "accounts", name="Ｇｌｏｂｅｘ\u00a0Corp")
    _insert(empty_url, "contacts", first_name="A", last_name="B", email="Ann@Example.com")
    gone = datetime.now(UTC)
    # a deleted twin does not collide (uniqueness is among live records)
    _insert(empty_url, "accounts", name="globex corp", deleted_at=gone)
    upgrade(empty_url, AFTER)
    assert _revision(empty_url) == AFTER
    keys = _scalars(empty_url, "SELECT name_key FROM accounts ORDER BY name_key")
    assert keys == ["globex corp", "globex corp"]
    assert _scalars(empty_url, "SELECT email_key FROM contacts") == ["ann@example.com"]
    # the unique index is on the key now: a look-alike cannot be written past the service
    with pytest.raises(sa.exc.IntegrityError):
        _insert(empty_url, "accounts", name="Globex Corp", name_key="globex corp")
    command.downgrade(alembic_config(empty_url), BEFORE)
    assert _revision(empty_url) == BEFORE
    # the lower(name) index is back
    with pytest.raises(sa.exc.IntegrityError):
        _insert(empty_url, "accounts", name="Ｇｌｏｂｅｘ\u00a0Corp")
    upgrade(empty_url, AFTER)
    assert _revision(empty_url) == AFTER


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_collisions_are_refused_and_listed(empty_url: str) -> None:
    upgrade(empty_url, BEFORE)
    plain = _insert(empty_url, "accounts", name="Initech")
    wide = _insert(empty_url, "accounts", name="Ｉｎｉｔｅｃｈ")
    lead = _insert(empty_url, "leads", last_name="L", email="bob@example.com")
    hidden = _insert(empty_url, "leads", last_name="M", email="bob\u200b@example.com")
    _insert(empty_url, "users", email="carol@example.com", full_name="Carol")
    _insert(empty_url, "users", email="ｃａｒｏｌ@example.com", full_name="Carol 2")
    with pytest.raises(RuntimeError) as refused:
        upgrade(empty_url, AFTER)
    message = str(refused.value)
    assert "3 group(s)" in message and "nothing was changed" in message
    for record_id in (plain, wide, lead, hidden):
        assert record_id in message
    assert "'Ｉｎｉｔｅｃｈ'" in message and "accounts.name key 'initech'" in message
    assert "leads.email" in message and "users.email" in message
    # nothing changed: still at 0007, no key column
    assert _revision(empty_url) == BEFORE
    with pytest.raises(sa.exc.DBAPIError):
        _scalars(empty_url, "SELECT name_key FROM accounts")
