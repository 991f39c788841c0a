"""`nexa mail watch` (IMAP: IDLE, or polling) and `nexa mail receive` (an SMTP listener):
how received mail gets in (nexa.email.imap, nexa.email.receiver)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape

from nexa.cli.shared import OK, WARN, console, fail, load_settings, secure_files

mail_app = typer.Typer(
    help="Receive email: read mailboxes over IMAP, or listen for SMTP.", no_args_is_help=True
)


def _on_stop(stop: Any) -> None:
    """SIGTERM and Ctrl+C end the command cleanly (waits end within seconds)."""

    def handler(signum: int, frame: Any) -> None:
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@mail_app.command()
def watch(
    once: Annotated[
        bool, typer.Option("--once", help="One fetch pass over every enabled mailbox, then exit")
    ] = False,
) -> None:
    """Hold an IMAP connection to each enabled mailbox: read what is new, then wait in IDLE
    (poll every NEXA_MAIL_POLL_SECONDS where the server has no IDLE). Started by ./run beside
    the worker; stops on SIGTERM or Ctrl+C."""
    settings = load_settings()
    secure_files(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from nexa.core.db import session_scope
    from nexa.email import imap
    from nexa.email.repository import InboundRepository

    out = console()
    if once:
        with session_scope() as session:
            ids = [
                (m.id, m.address)
                for m in InboundRepository(session).mailboxes(enabled_only=True)
                if m.imap_host
            ]
        failed = 0
        for mailbox_id, address in ids:
            try:
                result = imap.run_once(mailbox_id)
                out.print(f"{OK} {escape(address)}: {result.seen} new {result.outcomes or ''}")
            except Exception as exc:
                failed += 1
                out.print(f"{WARN} {escape(address)}: {escape(str(exc))}")
        if failed:
            raise typer.Exit(code=1)
        return
    watcher = imap.Watcher()
    _on_stop(watcher.stop)
    out.print("mail watch: reading the enabled mailboxes (Ctrl+C stops)")
    watcher.run()


@mail_app.command()
def receive(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 2525,
) -> None:
    """Listen for SMTP: mail for a mailbox's address (and bounces to our VERP addresses) is
    taken in; any other recipient is refused with 550. Started by hand; stops on SIGTERM or
    Ctrl+C."""
    settings = load_settings()
    secure_files(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from nexa.email.receiver import controller

    stopping = threading.Event()
    listener = controller(host, port)
    try:
        listener.start()
    except Exception as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc}") from None
    _on_stop(stopping.set)
    console().print(f"mail receive: SMTP on {host}:{port} (Ctrl+C stops)")
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        listener.stop()
