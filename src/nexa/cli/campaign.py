"""`nexa campaigns run`: one pass of the sequence engine (what the worker's minute job does),
for cron-less set-ups, tests and benchmarks."""

from __future__ import annotations

from typing import Annotated

import typer

from nexa.cli.shared import OK, console, ready_to_write

campaigns_app = typer.Typer(help="Campaigns: run the sequence engine.", no_args_is_help=True)


@campaigns_app.command("run")
def run(
    chunk: Annotated[
        int, typer.Option("--chunk", min=1, max=5000, help="Members per transaction")
    ] = 500,
    pause: Annotated[
        float,
        typer.Option("--pause", min=0, max=60, hidden=True, help="Seconds between chunks"),
    ] = 0.0,
) -> None:
    """Run every step that is due now, for every running campaign (one transaction per
    chunk of members: a pass stopped half-way is finished by the next)."""
    ready_to_write()
    from nexa.campaign.engine import advance
    from nexa.core.db import session_scope

    outcome = advance(session_scope, chunk=chunk, pause_between_chunks=pause)
    console().print(
        f"{OK} {outcome.members} members: {outcome.sent} sent, {outcome.tasks} tasks, "
        f"{outcome.skipped} skipped, {outcome.exited} exited, {outcome.deferred} deferred, "
        f"{outcome.completed} completed"
    )
