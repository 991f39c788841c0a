"""`nexa demo`: a demo organization, optionally with a generated one at scale."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nexa.cli.db import erase_database
from nexa.cli.shared import (
    OK,
    WARN,
    console,
    fail,
    first_line,
    mask_url,
    readable_errors,
    ready_to_write,
    secure_files,
)


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
    secure_files(settings)
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
