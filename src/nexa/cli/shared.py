"""What every `nexa` command uses: the console, the check marks, settings loading and the
one-line error messages (exit code 1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from nexa.config import Settings

OK, FAIL, WARN = "[green]✓[/]", "[red]✗[/]", "[yellow]![/]"


def console() -> Console:
    # Made per command, so output follows whatever sys.stdout is at that moment (tests).
    return Console(highlight=False, soft_wrap=True)


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


def secure_files(settings: Settings) -> None:
    """Start-up of a command that serves or writes: umask 077, the var folder 0700, and any
    wider mode in it (or on the SQLite files) narrowed to 0700/0600 (nexa.core.files)."""
    from nexa.core.files import secure_storage

    fixed, refused = secure_storage(settings.var_dir, settings.effective_database_url)
    out = Console(stderr=True, highlight=False, soft_wrap=True)
    if fixed:
        out.print(f"{WARN} made {len(fixed)} path(s) private (0700/0600) in {settings.var_dir}")
    if refused:
        out.print(
            f"{WARN} could not make private: {escape(', '.join(str(p) for p in refused[:5]))}"
        )


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


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
