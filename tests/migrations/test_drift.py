"""The migrations build exactly the schema the models describe (tables, columns, indexes,
foreign keys), so a model change without its migration fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import nexa.models  # noqa: F401  (every table registered)
from nexa.core.db import Base
from nexa.migrations import upgrade

# Things the migrations add on purpose beyond the models: FTS5 shadow tables (SQLite)
ENGINE_EXTRAS = ("search_fts",)


def _relevant(diff: Any) -> bool:
    text = repr(diff)
    return not any(name in text for name in ENGINE_EXTRAS)


@pytest.mark.filterwarnings("ignore:autogenerate skipping", "ignore:Skipped unsupported reflection")
def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diffs = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    finally:
        engine.dispose()
    assert diffs == []
