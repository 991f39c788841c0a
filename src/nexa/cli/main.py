"""``nexa``: serve, worker, db, users, keys, demo, doctor.

The CLI is a delivery layer like the API: it parses, calls one service inside a unit of work
(``session_scope``: commit once, or roll back) and prints the answer. It acts as the system
actor — whoever runs it already holds the server's files and database.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from nexa.config import Settings

app = typer.Typer(
    name="nexa",
    help="Nexa CRM: a self-hosted CRM whose intelligence runs on your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)
users_app = typer.Typer(help="Users who sign in to Nexa.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the REST API and the SDK.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")

OK, FAIL, WARN = "[green]✓[/]", "[red]✗[/]", "[yellow]![/]"
VENDOR_ASSETS = ("htmx.min.js",)


def console() -> Console:
    # Made per command, so output follows whatever sys.stdout is at that moment (tests).
    return Console(highlight=False, soft_wrap=True)


@app.callback()
def main() -> None:
    """Nexa CRM command line. Settings come from NEXA_* environment variables (or .env)."""
    from nexa.subscribers import install

    install()  # the in-transaction subscribers (audit, timeline) before any service runs


# ---- shared pieces ----------------------------------------------------------------------


def mask_url(url: str) -> str:
    """A database or Redis URL with its password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def fail(message: str, hint: str | None = None) -> typer.Exit:
    out = Console(stderr=True, highlight=False, soft_wrap=True)
    out.print(f"{FAIL} {escape(message)}")
    if hint:
        out.print(f"  fix: {escape(hint)}")
    return typer.Exit(code=1)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from nexa.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        raise fail(
            f"the settings do not load: {settings_errors(exc)}",
            "correct the NEXA_* environment variable(s) named above (or .env)",
        ) from None


def ready_to_write() -> Settings:
    """Settings, and the jobs registered: after each commit the new outbox rows are handed
    to the worker exactly as the web app does (they wait in the job storage until one runs)."""
    settings = load_settings()
    from nexa import modules

    modules.load(modules.JOBS)  # registers the after-commit job dispatchers

    return settings


def settings_errors(exc: Any) -> str:
    return "; ".join(
        f"NEXA_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
    )


def validation_errors(exc: Any) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: "
        f"{err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    )


@contextmanager
def readable_errors() -> Iterator[None]:
    """Domain, validation and database errors become one line and exit code 1."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from nexa.core.errors import DomainError

    try:
        yield
    except DomainError as exc:
        raise fail(f"{exc.field + ': ' if exc.field else ''}{exc.detail}") from None
    except ValidationError as exc:
        raise fail(validation_errors(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig or exc).strip().splitlines()[0]
        if "no such table" in text or "does not exist" in text:
            raise fail(
                f"the database has no Nexa schema yet ({text})", "run `nexa db upgrade`"
            ) from None
        raise fail(f"database error: {text}", "run `nexa doctor` to see what is wrong") from None


# ---- serve and worker -------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log every request (off by default: it costs ~5 % of a request's CPU; "
            "the reverse proxy usually keeps access logs)"
        ),
    ] = False,
) -> None:
    """Run the web server (API + web UI) with uvicorn."""
    import uvicorn

    import nexa

    settings = load_settings()
    out = console()
    url = settings.effective_database_url
    try:
        from nexa.migrations import current_and_head

        current, head = current_and_head(url)
        if current != head:
            out.print(
                f"{WARN} the database is at {current or 'no schema'}, the code expects {head}: "
                "run `nexa db upgrade`"
            )
    except Exception as exc:
        out.print(f"{WARN} cannot read the schema version of {mask_url(url)}: {first_line(exc)}")
    out.print(f"Nexa CRM on [bold]http://{host}:{port}[/] (database {escape(mask_url(url))})")
    uvicorn.run(
        "nexa.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        reload_dirs=[str(Path(nexa.__file__).parent)] if reload else None,
        log_level=settings.log_level.lower(),
        access_log=access_log,
        proxy_headers=True,
    )


@app.command()
def worker(
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Run only this queue (repeatable): interactive, deliveries, bulk, ai"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Threads per queue (default: NEXA_WORKER_*_THREADS)")
    ] = None,
) -> None:
    """Run the background job worker: a Huey consumer per queue, with the periodic tasks."""
    load_settings()
    from nexa.worker import QUEUES, run_worker

    unknown = sorted(set(queue or ()) - set(QUEUES))
    if unknown:
        raise fail(f"unknown queue(s) {', '.join(unknown)}: one of {', '.join(QUEUES)}")
    run_worker(queue, workers)  # type: ignore[arg-type]


# ---- db ---------------------------------------------------------------------------------


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest revision (creates the SQLite file if needed)."""
    from nexa.migrations import current_and_head, upgrade

    settings = load_settings()
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


# ---- users and keys ---------------------------------------------------------------------


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
            help="A permission such as contact:read; repeat it; '*' = all the user's permissions",
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the key by")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after this many days")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the token")] = False,
) -> None:
    """Issue an API key; the token is printed once and only its hash is stored."""
    from sqlalchemy import func, select

    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.models import User
    from nexa.user.service import create_api_key

    ready_to_write()
    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    with readable_errors(), session_scope() as session:
        user = session.scalars(
            select(User).where(func.lower(User.email) == func.lower(email.strip()))
        ).first()
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


# ---- demo -------------------------------------------------------------------------------


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


@app.command()
def demo(
    reset: Annotated[
        bool, typer.Option(help="Erase the WHOLE database first, then build the demo")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before --reset erases")
    ] = False,
    accounts: Annotated[int, typer.Option(min=0, help="How many accounts")] = 300,
    contacts: Annotated[int, typer.Option(min=0, help="How many contacts")] = 600,
    size: Annotated[
        str | None,
        typer.Option(
            help="Add a generated organization at scale for benchmarks: small (10k contacts), "
            "medium (100k), large (300k), xlarge (1M contacts, 1M leads, 250k deals)"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="The generator's seed (with --size)")] = 2026,
) -> None:
    """Create a demo organization (users, teams, accounts, contacts). Safe to run twice."""
    from nexa.demo.scale import SIZES

    if size is not None and size not in SIZES:
        raise typer.BadParameter(f"choose one of {', '.join(SIZES)}", param_hint="--size")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nexa.core.db import reset_engine, session_scope
    from nexa.demo import ADMIN_EMAIL, DEMO_PASSWORD, DEMO_USERS, build_demo
    from nexa.migrations import current_and_head, upgrade

    settings = ready_to_write()
    url = settings.effective_database_url
    out = console()
    if reset:
        if not yes and not typer.confirm(
            f"Erase EVERY record in {mask_url(url)} and build the demo again?"
        ):
            raise typer.Exit(code=1)
        reset_engine()
        with out.status("Erasing the database and building the schema again…"):
            erase_database(url)
            upgrade(url)
        out.print(f"{OK} database {escape(mask_url(url))} erased and migrated")
    try:
        current, head = current_and_head(url)
    except Exception as exc:
        raise fail(f"cannot read {mask_url(url)}: {first_line(exc)}", "run `nexa doctor`") from None
    if current != head:
        raise fail(
            f"the database is at {current or 'no schema'}, not at the latest schema {head}",
            "run `nexa db upgrade` first",
        )

    labels = {"users": "Users and teams", "accounts": "Accounts", "contacts": "Contacts"}
    with (
        readable_errors(),
        Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=False,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = build_demo(session_scope, accounts=accounts, contacts=contacts, progress=progress)
        if size is not None:
            from nexa.demo.scale import InterruptedGeneration, analyze, build_scale

            try:
                scale = build_scale(
                    session_scope, SIZES[size], seed=seed, progress=progress, commit_every=250_000
                )
            except InterruptedGeneration as exc:
                raise fail(str(exc), "run `nexa demo --reset --size …`") from None
            if not scale.skipped:
                with session_scope() as session:
                    analyze(session)

    if report.created_anything:
        out.print(
            f"{OK} demo organization ready: created {report.teams_created} teams, "
            f"{report.users_created} users, {report.accounts_created} accounts, "
            f"{report.contacts_created} contacts, {report.products_created} products, "
            f"{report.leads_created} leads, {report.deals_created} deals"
        )
    else:
        out.print(f"{OK} demo organization already present: nothing to create")
    if size is not None:
        if scale.skipped:
            out.print(f"{OK} a generated organization is already here: nothing added")
        else:
            out.print(
                f"{OK} {size} organization generated: {scale.rows:,} rows in "
                f"{scale.seconds:.0f} s ({scale.rows / max(scale.seconds, 1e-9):,.0f} rows/s)"
            )
        with session_scope() as session:
            from nexa.demo.scale import counts

            held = counts(session)
        out.print(
            "   database now holds "
            + ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in held.items())
        )
    else:
        out.print(
            f"   database now holds {report.users} users, {report.accounts} accounts, "
            f"{report.contacts} contacts"
        )
    if report.contacts_written_by != "service":
        out.print(
            f"{WARN} contacts were written as plain rows (the contact service is not available yet)"
        )
    table = Table(
        "email", "name", "role", "team", title=f"Demo sign-ins (password: {DEMO_PASSWORD})"
    )
    for user in DEMO_USERS:
        table.add_row(user.email, user.full_name, user.role, user.team or "—")
    out.print(table)
    out.print(f"Sign in as [bold]{ADMIN_EMAIL}[/] with password [bold]{DEMO_PASSWORD}[/]")


# ---- doctor -----------------------------------------------------------------------------


@dataclass
class Check:
    status: str  # "ok" | "fail" | "warn"
    label: str
    detail: str = ""
    hint: str = ""


def _check_settings() -> tuple[Check, Settings | None]:
    from pydantic import ValidationError

    from nexa.config import Settings, get_settings

    try:
        settings = Settings()
    except ValidationError as exc:
        return Check(
            "fail",
            "Settings",
            settings_errors(exc),
            "correct the NEXA_* variable(s) named (or .env)",
        ), None
    get_settings.cache_clear()
    return Check("ok", "Settings", "loaded from the environment"), settings


def _check_database(url: str) -> Check:
    from sqlalchemy import text

    from nexa.core.db import make_engine

    shown = mask_url(url)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        if not path.exists():
            return Check(
                "fail",
                "Database",
                f"{shown}: the file does not exist yet",
                "run `nexa db upgrade` to create it",
            )
    kwargs: dict[str, Any] = {}
    if url.startswith(("postgresql", "postgres")):
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = make_engine(url, **kwargs)
    except Exception as exc:
        return Check(
            "fail",
            "Database",
            f"{shown}: not a usable URL ({first_line(exc)})",
            "set NEXA_DATABASE_URL to e.g. postgresql://user:password@host:5432/nexa",
        )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return Check(
            "fail",
            "Database",
            f"{shown} is not reachable: {first_line(exc)}",
            "start the database server, or correct NEXA_DATABASE_URL (empty = SQLite under var/)",
        )
    finally:
        engine.dispose()
    return Check("ok", "Database", f"{shown} answers")


def _check_migrations(url: str) -> Check:
    from nexa.migrations import current_and_head

    try:
        current, head = current_and_head(url)
    except Exception as exc:
        return Check(
            "fail",
            "Schema",
            f"cannot read the revision: {first_line(exc)}",
            "run `nexa db upgrade`",
        )
    if current == head:
        return Check("ok", "Schema", f"at the latest revision ({head})")
    state = f"at revision {current}" if current else "empty (no Nexa schema)"
    return Check("fail", "Schema", f"{state}; the code expects {head}", "run `nexa db upgrade`")


def _check_roles(url: str) -> Check:
    from sqlalchemy import select

    from nexa.core.db import make_engine, sessionmaker_for
    from nexa.core.permissions import ROLES
    from nexa.models import Role

    engine = make_engine(url)
    try:
        with sessionmaker_for(engine)() as session:
            present = set(session.scalars(select(Role.name)).all())
    except Exception as exc:
        return Check(
            "fail", "Roles", f"cannot read the roles: {first_line(exc)}", "run `nexa db upgrade`"
        )
    finally:
        engine.dispose()
    missing = [r for r in ROLES if r not in present]
    if missing:
        return Check(
            "fail",
            "Roles",
            f"missing: {', '.join(missing)}",
            "the first migration seeds them; on an empty database run `nexa db upgrade`",
        )
    return Check("ok", "Roles", f"{len(ROLES)} roles seeded")


def _check_var_dir(var_dir: Path) -> Check:
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=var_dir, prefix=".doctor-") as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as exc:
        return Check(
            "fail",
            "Var folder",
            f"{var_dir.resolve()} is not writable: {exc.strerror or exc}",
            "fix its permissions or set NEXA_VAR_DIR to a writable folder",
        )
    return Check("ok", "Var folder", f"{var_dir.resolve()} is writable")


def _check_jobs(settings: Settings) -> Check:
    if settings.redis_url:
        shown = mask_url(settings.redis_url)
        try:
            import redis

            client = redis.Redis.from_url(
                settings.redis_url, socket_connect_timeout=3, socket_timeout=3
            )
            client.ping()
            client.close()
        except Exception as exc:
            return Check(
                "fail",
                "Job storage",
                f"Redis {shown} does not answer: {first_line(exc)}",
                "start Redis, or empty NEXA_REDIS_URL to keep jobs in SQLite under var/",
            )
        return Check("ok", "Job storage", f"Redis {shown} answers")
    path = settings.var_dir / "jobs.db"
    if not path.exists():
        if os.access(settings.var_dir, os.W_OK):
            return Check(
                "ok", "Job storage", f"SQLite {path.resolve()} will be created on first use"
            )
        return Check(
            "fail", "Job storage", f"cannot create {path.resolve()}", "make NEXA_VAR_DIR writable"
        )
    import sqlite3

    try:
        conn = sqlite3.connect(str(path), timeout=5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check(
            "fail",
            "Job storage",
            f"SQLite {path.resolve()} is not writable: {exc}",
            "fix the file's permissions, or set NEXA_REDIS_URL",
        )
    return Check("ok", "Job storage", f"SQLite {path.resolve()} is writable")


def vendor_dir() -> Path:
    import nexa

    return Path(nexa.__file__).parent / "web" / "static" / "vendor"


def _check_assets() -> Check:
    folder = vendor_dir()
    missing = [
        name
        for name in VENDOR_ASSETS
        if not (folder / name).is_file() or (folder / name).stat().st_size == 0
    ]
    if missing:
        return Check(
            "fail",
            "Front-end assets",
            f"missing in {folder}: {', '.join(missing)}",
            "run scripts/setup.sh (npm ci, then it copies htmx there)",
        )
    return Check("ok", "Front-end assets", f"htmx present in {folder}")


def _check_secret(settings: Settings) -> Check:
    production_like = bool(settings.redis_url) or not settings.effective_database_url.startswith(
        "sqlite"
    )
    if not settings.secret_key:
        if production_like:
            return Check(
                "warn",
                "Secret key",
                "NEXA_SECRET_KEY is empty: each machine generates its own key "
                "in var/secret_key, so sign-ins do not carry across web servers",
                "set NEXA_SECRET_KEY to the same long random value on every web server",
            )
        return Check(
            "ok",
            "Secret key",
            f"generated and kept in {(settings.var_dir / 'secret_key').resolve()}",
        )
    if len(settings.secret_key) < 32 or "not-for-production" in settings.secret_key:
        return Check(
            "warn",
            "Secret key",
            "NEXA_SECRET_KEY is short or a placeholder",
            'set it to e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`',
        )
    return Check("ok", "Secret key", "set")


def _check_cookie(settings: Settings) -> Check:
    if not settings.cookie_secure:
        return Check(
            "warn",
            "Session cookie",
            "NEXA_COOKIE_SECURE=false: the sign-in cookie also travels over "
            "plain HTTP (fine for a local demo on http://127.0.0.1)",
            "set NEXA_COOKIE_SECURE=true when serving over HTTPS",
        )
    return Check("ok", "Session cookie", "sent over HTTPS only")


def _check_queues() -> Check:
    """Depth and oldest pending age of each job queue (nexa.worker.QUEUES)."""
    from nexa.worker import queue_stats

    try:
        stats = queue_stats()
    except Exception as exc:
        return Check("fail", "Job queues", f"cannot read the queues: {first_line(exc)}")
    detail = "; ".join(s.summary for s in stats)
    late = [s.queue for s in stats if (s.oldest_age_seconds or 0) > QUEUE_LATE_SECONDS]
    if late:
        return Check(
            "warn",
            "Job queues",
            detail,
            f"is `nexa worker` running? Else raise NEXA_WORKER_<QUEUE>_THREADS: {', '.join(late)}",
        )
    return Check("ok", "Job queues", detail)


QUEUE_LATE_SECONDS = 600


def run_checks() -> Iterator[Check]:
    """Each check in order; later ones are skipped when what they need failed."""
    settings_check, settings = _check_settings()
    yield settings_check
    if settings is None:
        return
    url = settings.effective_database_url
    database = _check_database(url)
    yield database
    if database.status == "ok":
        schema = _check_migrations(url)
        yield schema
        if schema.status == "ok":
            yield _check_roles(url)
    yield _check_var_dir(settings.var_dir)
    jobs_check = _check_jobs(settings)
    yield jobs_check
    if jobs_check.status == "ok" and (
        settings.redis_url or (settings.var_dir / "jobs.db").exists()
    ):
        yield _check_queues()
    yield _check_assets()
    yield _check_secret(settings)
    yield _check_cookie(settings)


@app.command()
def doctor() -> None:
    """Check the installation; exits non-zero when something must be fixed."""
    import nexa

    out = console()
    out.print(f"Nexa CRM {nexa.__version__} on Python {sys.version.split()[0]}")
    marks = {"ok": OK, "fail": FAIL, "warn": WARN}
    failures = warnings = 0
    for check in run_checks():
        out.print(f"{marks[check.status]} {check.label}: {escape(check.detail)}")
        if check.hint and check.status != "ok":
            out.print(f"    {'fix' if check.status == 'fail' else 'hint'}: {escape(check.hint)}")
        failures += check.status == "fail"
        warnings += check.status == "warn"
    if failures:
        out.print(f"[red]{failures} problem(s) to fix[/], {warnings} warning(s)")
        raise typer.Exit(code=1)
    out.print(f"[green]All checks passed[/] ({warnings} warning(s))")


# ---- import and export ------------------------------------------------------------------

import_app = typer.Typer(
    help="Import leads, contacts, accounts or deals from CSV/XLSX (batches, resumable).",
    no_args_is_help=True,
)
export_app = typer.Typer(
    help="Export leads, contacts, accounts or deals as CSV/XLSX.", no_args_is_help=True
)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
IMPORT_OBJECTS = {"leads": "lead", "contacts": "contact", "accounts": "account", "deals": "deal"}


def _parse_maps(maps: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in maps or []:
        header, sep, target = item.partition("=")
        if not sep or not header.strip():
            raise fail(f"--map '{item}' is not of the form 'Column header=field'")
        mapping[header.strip()] = target.strip()
    return mapping


def _run_import_cli(import_id: Any, actor_email: str | None, *, fresh: bool = False) -> None:
    """Run or resume an import with a progress bar, committing after every batch."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nexa.core.db import session_scope
    from nexa.core.events import run_after_commit
    from nexa.imports import service

    out = console()
    with readable_errors(), session_scope() as session:
        data_import = service.get_import(
            session, service.actor_by_email(session, actor_email), import_id
        )
        actor = (
            service.owner_actor(session, data_import)
            if actor_email is None
            else service.actor_by_email(session, actor_email)
        )
        if not fresh and data_import.rows_done:
            out.print(f"resuming import {import_id} after row {data_import.rows_done}")

        def commit() -> None:
            session.commit()
            run_after_commit(session)

        with Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True, highlight=False),
            transient=False,
        ) as bar:
            task = bar.add_task("rows", total=data_import.rows_total or 0)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                done = service.run_import(
                    session, actor, import_id, commit=commit, progress=progress
                )
            except Exception as exc:
                session.rollback()
                service.mark_failed(session, import_id, f"{type(exc).__name__}: {exc}")
                session.commit()
                raise
        counts = service.summary(done)
        issues, _ = service.list_issues(session, actor, import_id, limit=20)
        dry = service.is_dry_run(done)
    out.print(
        f"{OK} {'dry run' if dry else 'import'} {import_id}: "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + f" ({done.rows_total or 0} rows)"
    )
    for issue in issues:
        out.print(
            f"  row {issue.row_number} [{issue.kind}] "
            f"{escape(issue.field or '')}{': ' if issue.field else ''}{escape(issue.message)}"
        )
    if dry and counts["failed"]:
        raise typer.Exit(code=1)


def _import_command(plural: str) -> None:
    object_type = IMPORT_OBJECTS[plural]

    def command(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        map_: Annotated[
            list[str] | None,
            typer.Option("--map", help="'Column header=field' (repeatable); '=' alone ignores"),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Validate every row, write nothing")
        ] = False,
        on_duplicate: Annotated[
            str, typer.Option(help="What an exact-email twin does: skip or update")
        ] = "skip",
        create_fuzzy: Annotated[
            bool, typer.Option("--create-fuzzy", help="Create rows with fuzzy duplicates too")
        ] = False,
        as_: Annotated[
            str | None, typer.Option("--as", help="Act as this user (default: the first admin)")
        ] = None,
        batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 2000,
        new_fields: Annotated[
            bool,
            typer.Option(
                "--new-fields",
                help="Columns naming no field become custom fields (number/boolean/text)",
            ),
        ] = False,
        historical: Annotated[
            bool,
            typer.Option(
                "--historical",
                help="Leads: import created_at, converted_at, status_changed_at and "
                "converted/lost statuses (admins)",
            ),
        ] = False,
    ) -> None:
        from nexa.core.db import session_scope
        from nexa.imports import service

        ready_to_write()
        with readable_errors(), session_scope() as session:
            actor = service.actor_by_email(session, as_)
            data_import, resumed = service.start_import_from_path(
                session,
                actor,
                file,
                object_type=object_type,
                mapping=_parse_maps(map_),
                on_duplicate=on_duplicate,
                create_fuzzy=create_fuzzy,
                dry_run=dry_run,
                batch_size=batch_size,
                resume=True,
                new_fields=new_fields,
                historical=historical,
            )
            import_id = data_import.id
            for planned in service.fields_planned(data_import):
                verb = "created" if planned["created"] else "would create"
                console().print(
                    f"  {verb} custom field {escape(planned['key'])} ({planned['field_type']}) "
                    f"for column '{escape(planned['column'])}'"
                )
        _run_import_cli(import_id, as_, fresh=not resumed)

    command.__doc__ = (
        f"Import {plural} from a CSV or XLSX FILE. Rerunning an unfinished import of the "
        "same file resumes it."
    )
    import_app.command(plural)(command)


for _plural in IMPORT_OBJECTS:
    _import_command(_plural)


@import_app.command("resume")
def import_resume(
    import_id: Annotated[str, typer.Argument(help="The import's id")],
    as_: Annotated[str | None, typer.Option("--as", help="Act as this user")] = None,
) -> None:
    """Continue an import from its last committed batch."""
    import uuid

    try:
        parsed = uuid.UUID(import_id)
    except ValueError:
        raise fail(f"'{import_id}' is not an import id") from None
    ready_to_write()
    _run_import_cli(parsed, as_)


def _export_command(plural: str) -> None:
    object_type = IMPORT_OBJECTS[plural]

    def command(
        format_: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
        filter_: Annotated[
            list[str] | None, typer.Option("--filter", help="field:operator:value (repeatable)")
        ] = None,
        sort: Annotated[str | None, typer.Option(help="field or -field")] = None,
        fields: Annotated[str | None, typer.Option(help="comma-separated columns")] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
        ] = None,
        as_: Annotated[
            str | None, typer.Option("--as", help="Act as this user (default: the first admin)")
        ] = None,
    ) -> None:
        from nexa.core.db import session_scope
        from nexa.core.filtering import ListQuery
        from nexa.imports import export, service

        if format_ == "xlsx" and output is None and sys.stdout.isatty():
            raise fail("an XLSX export needs --output FILE (or redirect stdout)")
        query = ListQuery(
            filters=filter_ or [],
            sort=sort,
            fields=[f.strip() for f in fields.split(",") if f.strip()] if fields else None,
        )
        load_settings()
        with readable_errors(), session_scope(write=False) as session:
            actor = service.actor_by_email(session, as_)
            if output is not None:
                with output.open("wb") as target:
                    count = export.export_to(session, actor, object_type, query, format_, target)
            else:
                sys.stdout.flush()
                count = export.export_to(
                    session, actor, object_type, query, format_, sys.stdout.buffer
                )
                sys.stdout.buffer.flush()
        Console(stderr=True, highlight=False).print(f"{OK} exported {count} {plural}")

    command.__doc__ = f"Export {plural} (filtered like the API's list) as CSV or XLSX."
    export_app.command(plural)(command)


for _plural in IMPORT_OBJECTS:
    _export_command(_plural)


search_app = typer.Typer(help="The global search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the global search index from leads, contacts, accounts and deals."""
    from nexa.core.db import session_scope
    from nexa.search.service import reindex

    ready_to_write()
    with readable_errors(), session_scope() as session:
        count = reindex(session)
    typer.echo(f"{count} records indexed")


# `nexa ai …` (its modules use the helpers above, so it is added last)
from nexa.cli.ai import ai_app  # noqa: E402

app.add_typer(ai_app, name="ai")
