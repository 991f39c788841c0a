"""`nexa import …` and `nexa export …`: leads, contacts, accounts and deals from and to
CSV/XLSX (imports in batches, resumable)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from nexa.cli.shared import OK, console, fail, load_settings, readable_errors, ready_to_write

import_app = typer.Typer(
    help="Import leads, contacts, accounts or deals from CSV/XLSX (batches, resumable).",
    no_args_is_help=True,
)
export_app = typer.Typer(
    help="Export leads, contacts, accounts or deals as CSV/XLSX.", no_args_is_help=True
)
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
        reasons = service.refusal_reasons(session, actor, import_id)
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
    if reasons:
        out.print("rows not written, the top reasons:")
        for reason, rows in reasons:
            out.print(f"  {rows:>7}  {escape(reason)}")
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
                help="Migrate a history (admins). Leads: created_at, converted_at, "
                "status_changed_at and converted/lost statuses. Deals: created_at, "
                "stage_entered_at (or stage_changed_at), closed_at of won/lost deals, "
                "close_date, and stage_history: the stages the deal went through, oldest "
                "first, as stage@date entries separated by ';' (e.g. "
                "prospecting@2025-01-02;proposal@2025-02-10;closed_won@2025-03-01), its last "
                "entry the deal's stage. Dates are ISO dates or times (UTC unless they say); "
                "future or out-of-order dates are refused. Without a history a deal starts "
                "in the pipeline's first open stage at created_at; lost deals need no reason "
                "('imported'); won/lost deals do not run the closed-won flow",
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
        from nexa.core.files import open_private
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
                with open_private(output) as target:  # customer data: 0600
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
