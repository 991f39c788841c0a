"""`nexa users …` and `nexa keys …`: who signs in, and the API keys they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nexa.cli.shared import OK, console, fail, load_settings, readable_errors, ready_to_write
from nexa.core.text import text_key

users_app = typer.Typer(help="Users who sign in to Nexa.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the REST API and the SDK.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Sign-in email")],
    name: Annotated[str, typer.Option("--name", prompt="Full name", help="Full name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 10 characters (asked when not given)",
        ),
    ],
    role: Annotated[
        str, typer.Option(help="admin, manager, sales_rep, support_agent, marketer or read_only")
    ] = "sales_rep",
    team: Annotated[str | None, typer.Option(help="Team name")] = None,
) -> None:
    """Create a user who can sign in."""
    from sqlalchemy import select

    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.core.permissions import ROLES
    from nexa.models import Team
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    ready_to_write()
    if role not in ROLES:
        raise fail(f"role: '{role}' is not a role", f"use one of {', '.join(ROLES)}")
    with readable_errors(), session_scope() as session:
        team_id = None
        if team:
            team_id = session.scalar(select(Team.id).where(Team.name == team))
            if team_id is None:
                raise fail(f"team: no team named '{team}'")
        user = create_user(
            session,
            SYSTEM,
            UserCreate(
                email=email,
                full_name=name,
                role=role,
                team_id=team_id,
                password=password or None,
            ),
        )
        summary = f"{user.full_name} <{user.email}>, role {user.role}"
    console().print(f"{OK} created user {escape(summary)}")


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    from sqlalchemy import select

    from nexa.core.db import session_scope
    from nexa.models import Team, User

    load_settings()
    with readable_errors(), session_scope(write=False) as session:
        rows = session.execute(
            select(User, Team.name).outerjoin(Team, User.team_id == Team.id).order_by(User.email)
        ).all()
        table = Table("email", "name", "role", "team", "active", "last sign-in")
        for user, team_name in rows:
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "—"
            table.add_row(
                user.email,
                user.full_name,
                user.role,
                team_name or "—",
                "yes" if user.is_active else "no",
                last,
            )
    out = console()
    out.print(table)
    out.print(f"{len(rows)} user(s)")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Argument(help="The user the key acts as")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="A permission such as contact:read, or me:read, me:write, notification:read, "
            "notification:write, search:read; repeat it; '*' = all the user's permissions",
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the key by")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after this many days")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the token")] = False,
) -> None:
    """Issue an API key; the token is printed once and only its hash is stored."""
    from sqlalchemy import select

    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.models import User
    from nexa.user.service import create_api_key

    ready_to_write()
    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    with readable_errors(), session_scope() as session:
        user = session.scalars(select(User).where(User.email_key == text_key(email))).first()
        if user is None:
            raise fail(f"no user with email {email}", "create one with `nexa users create`")
        key, token = create_api_key(
            session,
            SYSTEM,
            user_id=user.id,
            name=name,
            scopes=scope or ["*"],
            expires_at=expires_at,
        )
        scopes = ", ".join(key.scopes)
    if quiet:
        typer.echo(token)
        return
    out = console()
    out.print(f"{OK} API key '{escape(name)}' for {escape(user.email)} (scopes: {escape(scopes)})")
    out.print("Token — shown this once, store it now; send it as `Authorization: Bearer <token>`:")
    typer.echo(token)
