"""`nexa search …`: the global search index."""

from __future__ import annotations

import typer

from nexa.cli.shared import readable_errors, ready_to_write

search_app = typer.Typer(help="The global search index.", no_args_is_help=True)


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the global search index from leads, contacts, accounts and deals."""
    from nexa.core.db import session_scope
    from nexa.search.service import reindex

    ready_to_write()
    with readable_errors(), session_scope() as session:
        count = reindex(session)
    typer.echo(f"{count} records indexed")
