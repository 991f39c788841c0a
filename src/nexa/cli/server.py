"""`nexa serve` and `nexa worker`: the web server and the background job worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

import nexa
from nexa.cli.shared import (
    WARN,
    console,
    fail,
    first_line,
    load_settings,
    mask_url,
    secure_files,
)

# X-Forwarded-For/-Proto are read by the app itself, and only from the addresses in
# NEXA_TRUSTED_PROXIES (nexa.api.proxies.TrustedProxyMiddleware): one code path whatever the
# server, checked in-process by the tests. uvicorn's own handling is off: by default it
# believes any client on 127.0.0.1, so anyone on the host (or a local proxy passing the
# header through) could pick their address and get a fresh rate-limit budget per request.
PROXY_OPTIONS: dict[str, Any] = {"proxy_headers": False}


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

    settings = load_settings()
    secure_files(settings)
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
        **PROXY_OPTIONS,
    )


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
    secure_files(load_settings())
    from nexa.worker import QUEUES, run_worker

    unknown = sorted(set(queue or ()) - set(QUEUES))
    if unknown:
        raise fail(f"unknown queue(s) {', '.join(unknown)}: one of {', '.join(QUEUES)}")
    run_worker(queue, workers)  # type: ignore[arg-type]
