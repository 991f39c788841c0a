"""``nexa``: serve, worker, db, users, keys, demo, doctor, import, export, search, ai, mail,
campaigns.

The CLI is a delivery layer like the API: it parses, calls one service inside a unit of work
(``session_scope``: commit once, or roll back) and prints the answer. It acts as the system
actor — whoever runs it already holds the server's files and database.

This module only assembles the Typer app; each area's commands live in their own module of
``nexa.cli`` (the shared console and error handling in :mod:`nexa.cli.shared`). Command modules
import the heavy parts (SQLAlchemy, the services, uvicorn) inside the commands, so that
``nexa --help`` and each command start without loading the whole application.
"""

from __future__ import annotations

import typer

from nexa.cli.ai import ai_app
from nexa.cli.campaign import campaigns_app
from nexa.cli.db import db_app
from nexa.cli.demo import demo
from nexa.cli.doctor import doctor
from nexa.cli.mail import mail_app
from nexa.cli.search import search_app
from nexa.cli.server import serve, worker
from nexa.cli.transfer import export_app, import_app
from nexa.cli.users import keys_app, users_app

app = typer.Typer(
    name="nexa",
    help="Nexa CRM: a self-hosted CRM whose intelligence runs on your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Nexa CRM command line. Settings come from NEXA_* environment variables (or .env)."""
    from nexa.core.files import restrict_umask
    from nexa.subscribers import install

    restrict_umask()  # what any command writes (database, exports, var/) is the user's only
    install()  # the in-transaction subscribers (audit, timeline) before any service runs


app.command()(serve)
app.command()(worker)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.command()(demo)
app.command()(doctor)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(search_app, name="search")
app.add_typer(ai_app, name="ai")
app.add_typer(mail_app, name="mail")
app.add_typer(campaigns_app, name="campaigns")
