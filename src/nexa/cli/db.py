"""`nexa db …`: the database schema (Alembic migrations)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nexa.cli.shared import (
    OK,
    WARN,
    console,
    fail,
    first_line,
    load_settings,
    mask_url,
    secure_files,
)

db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest revision (creates the SQLite file if needed)."""
    from nexa.migrations import current_and_head, upgrade

    settings = load_settings()
    secure_files(settings)
    url = settings.effective_database_url
    out = console()
    try:
        before, head = current_and_head(url)
        if before == head:
            out.print(
                f"{OK} database {escape(mask_url(url))} is already at the latest schema ({head})"
            )
            return
        with out.status(f"Upgrading {escape(mask_url(url))} from {before or 'empty'} to {head}…"):
            upgrade(url)
        after, head = current_and_head(url)
    except Exception as exc:
        raise fail(
            f"cannot upgrade {mask_url(url)}: {first_line(exc)}",
            "run `nexa doctor` to check the database settings",
        ) from None
    out.print(
        f"{OK} database {escape(mask_url(url))} upgraded from {before or 'empty'} "
        f"to {after} (latest)"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    from nexa.migrations import current_and_head

    settings = load_settings()
    url = settings.effective_database_url
    try:
        current, head = current_and_head(url)
    except Exception as exc:
        raise fail(f"cannot read {mask_url(url)}: {first_line(exc)}") from None
    out = console()
    out.print(f"database: {escape(mask_url(url))}")
    out.print(f"current:  {current or '(no schema)'}")
    out.print(f"latest:   {head}")
    if current == head:
        out.print(f"{OK} up to date")
    else:
        out.print(f"{WARN} behind: run `nexa db upgrade`")


def erase_database(url: str) -> None:
    """Drop every table (SQLite: remove the file) so the schema can be built again."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import MetaData, text

    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            metadata = MetaData()
            metadata.reflect(conn)
            for table in metadata.tables.values():
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
    finally:
        engine.dispose()
