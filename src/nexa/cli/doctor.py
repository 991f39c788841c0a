"""`nexa doctor`: check the installation, each check with the fix when it fails."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

import nexa
from nexa.cli.shared import FAIL, OK, WARN, console, first_line, mask_url, settings_errors

if TYPE_CHECKING:
    from nexa.config import Settings

VENDOR_ASSETS = (
    "htmx.min.js",
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "swagger-ui-favicon-32x32.png",
)


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


def _check_smtp(url: str) -> Check | None:
    """When SMTP settings exist: connect (TLS and sign-in as configured) and NOOP."""
    from nexa.core.db import make_engine, sessionmaker_for
    from nexa.email.service import check_connection

    engine = make_engine(url)
    try:
        with sessionmaker_for(engine)() as session:
            reply = check_connection(session)
    except Exception as exc:
        return Check("fail", "SMTP", f"cannot read the email settings: {first_line(exc)}")
    finally:
        engine.dispose()
    if reply is None:
        return None
    if reply.outcome == "sent":
        return Check("ok", "SMTP", f"the server answers: {reply.text}")
    return Check(
        "fail",
        "SMTP",
        f"the server does not accept us: {reply.text}",
        "check host, port, security, user and password under /admin/email "
        "(PUT /api/v1/email/settings); mail waits, deferred, until it works",
    )


def _check_mailboxes(url: str) -> Check | None:
    """When mailboxes exist: how many are read, and which failed at their last check (what
    `nexa mail watch` recorded)."""
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, sessionmaker_for
    from nexa.email.mailboxes import list_mailboxes

    engine = make_engine(url)
    try:
        with sessionmaker_for(engine)() as session:
            boxes = [
                (m.address, m.enabled, bool(m.imap_host), m.last_error, m.last_checked_at)
                for m in list_mailboxes(session, SYSTEM)
            ]
    except Exception as exc:
        return Check("fail", "Mailboxes", f"cannot read the mailboxes: {first_line(exc)}")
    finally:
        engine.dispose()
    if not boxes:
        return None
    read = [b for b in boxes if b[1] and b[2]]
    failing = [f"{b[0]} ({(b[3] or '').splitlines()[0][:200]})" for b in read if b[3]]
    never = [b[0] for b in read if b[4] is None]
    detail = f"{len(read)} of {len(boxes)} read over IMAP"
    if failing:
        return Check(
            "warn",
            "Mailboxes",
            f"{detail}; failing: {', '.join(failing)}",
            "check the IMAP server, user and password under /admin/email; "
            "`nexa mail watch --once` tries each now",
        )
    if never:
        return Check(
            "warn",
            "Mailboxes",
            f"{detail}; never checked: {', '.join(never)}",
            "is `nexa mail watch` running? (./run starts it)",
        )
    return Check("ok", "Mailboxes", detail)


def _check_files_dir(settings: Settings) -> Check:
    """The file store (NEXA_FILES_DIR) can be written: a file is stored and removed."""
    from nexa.core.filestore import FileStore

    store = FileStore(settings.effective_files_dir)
    try:
        stored = store.put(b"nexa doctor " + str(os.getpid()).encode())
        store.delete(stored.key)
    except OSError as exc:
        return Check(
            "fail",
            "File store",
            f"{settings.effective_files_dir}: {first_line(exc)}",
            "make NEXA_FILES_DIR writable by the server's user (a shared mount when several "
            "web servers run)",
        )
    return Check("ok", "File store", f"{settings.effective_files_dir} writable")


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


def _check_file_modes(settings: Settings) -> Check:
    from nexa.core.files import sqlite_files, wrong_modes

    paths = [settings.var_dir, *sqlite_files(settings.effective_database_url)]
    wrong: dict[Path, int] = {}
    for path in paths:
        if path.exists() and not path.is_symlink():
            wrong.update(wrong_modes(path) if path.is_dir() else wrong_modes_of_file(path))
    if wrong:
        listed = ", ".join(f"{p} ({m:04o})" for p, m in list(wrong.items())[:5])
        more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        return Check(
            "fail",
            "File permissions",
            f"{len(wrong)} path(s) others may read: {listed}{more}",
            "`nexa serve`, `nexa worker` and `nexa db upgrade` correct them at start-up; or "
            f"chmod -R go-rwx {settings.var_dir}",
        )
    return Check(
        "ok", "File permissions", "the var folder and the database are private (0700/0600)"
    )


def wrong_modes_of_file(path: Path) -> list[tuple[Path, int]]:
    from nexa.core.files import OPEN_TO_OTHERS

    mode = path.stat().st_mode & 0o777
    return [(path, mode)] if mode & OPEN_TO_OTHERS else []


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
            "run scripts/setup.sh (npm ci, then it copies htmx and Swagger UI there)",
        )
    return Check("ok", "Front-end assets", f"htmx and Swagger UI present in {folder}")


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
            smtp = _check_smtp(url)
            if smtp is not None:
                yield smtp
            mailboxes = _check_mailboxes(url)
            if mailboxes is not None:
                yield mailboxes
    yield _check_var_dir(settings.var_dir)
    yield _check_files_dir(settings)
    yield _check_file_modes(settings)
    jobs_check = _check_jobs(settings)
    yield jobs_check
    if jobs_check.status == "ok" and (
        settings.redis_url or (settings.var_dir / "jobs.db").exists()
    ):
        yield _check_queues()
    yield _check_assets()
    yield _check_secret(settings)
    yield _check_cookie(settings)


def doctor() -> None:
    """Check the installation; exits non-zero when something must be fixed."""
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
