"""`nexa ai … leads`: train, list, roll back, rescore and evaluate the lead score."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nexa.cli.ai import ai_group
from nexa.cli.shared import console, fail, load_settings, readable_errors, ready_to_write

train_app = ai_group("train", "Train a model on this organization's records.")
models_app = ai_group("models", "List trained models and their cards.")
rollback_app = ai_group("rollback", "Make an earlier model version the active one.")
rescore_app = ai_group("rescore", "Score every record again with the active model.")
evaluate_app = ai_group("evaluate", "Evaluate a model on a CSV of your own history.")


def print_card(card: dict[str, Any], title: str) -> None:
    out = console()
    metrics = card.get("metrics", {})
    data = card.get("data", {})
    out.print(f"[bold]{title}[/bold]")
    out.print(
        f"  data: {data.get('training_leads')} training leads "
        f"({data.get('training_snapshots')} snapshots, "
        f"{data.get('conversion_rate_training')} % converted), "
        f"{data.get('held_out_leads')} held out "
        f"({data.get('conversion_rate_held_out')} % converted); {data.get('split')}"
    )
    trees = card.get("trees")
    out.print(
        f"  held-out AUC {metrics.get('auc')}  Brier {metrics.get('brier')} "
        f"on {data.get('held_out_leads')} held-out leads  "
        + ("" if trees is None else f"trees {trees}  ")
        + f"features {len(card.get('features', []))}"
    )
    selection = card.get("selection") or {}
    if selection:
        figures = ", ".join(
            f"{c['algorithm']} {figure(c.get('validation_auc'))}"
            for c in selection.get("candidates", [])
        )
        out.print(f"  model: {selection.get('chosen')} (validation AUC: {figures})")
    if card.get("text"):
        out.print(
            f"  free text: {card['text']['label']} (one feature, TF-IDF + logistic regression)"
        )
    table = Table("score bin", "leads", "predicted %", "observed %", "gap")
    for row in metrics.get("reliability", []):
        table.add_row(
            str(row["bin"]),
            str(row["leads"]),
            f"{row['predicted']:.1f}",
            f"{row['observed']:.1f}",
            f"{row['gap']:+.1f}",
        )
    out.print(table)
    calibration = card.get("calibration", {})
    if calibration:
        ece = metrics.get("ece")
        out.print(
            f"  calibration: {calibration.get('method')} on {calibration.get('rows', '?')} rows "
            f"({calibration.get('positives', '?')} converted); expected calibration error "
            f"{'—' if ece is None else f'{ece} points'}"
        )
        level = calibration.get("level")
        if level and level.get("converted_percent") is not None:
            out.print(
                f"  level: the newest {level['rows']} of those rows, "
                f"{level['converted_percent']} % converted against "
                f"{level['predicted_percent_before']} % predicted by the map: "
                f"log-odds shift {level['shift']:+}"
            )
    baseline = card.get("baseline")
    if baseline:
        verdict = "beats it" if card.get("beats_baseline") else "does not beat it: not used"
        out.print(
            f"  baseline: the scorecard, held-out AUC {baseline.get('auc')} on the same "
            f"{baseline.get('held_out_leads')} leads; the model {verdict}"
        )
    top = ", ".join(f"{t['label']} {t['share']}%" for t in card.get("top_features", [])[:8])
    out.print(f"  top features: {top}")
    for note in card.get("notes", []):
        out.print(f"  [yellow]note:[/yellow] {note}")


@train_app.command("leads")
def train_leads(
    as_: Annotated[str | None, typer.Option("--as", help="Act as this admin")] = None,
) -> None:
    """Train the lead score on the closed leads and print its model card."""
    from nexa.core.db import session_scope
    from nexa.core.errors import Conflict
    from nexa.imports.service import actor_by_email
    from nexa.scoring import service

    ready_to_write()
    with readable_errors(), session_scope() as session:
        actor = actor_by_email(session, as_)
        try:
            row = service.train_lead_model(session, actor)
        except Conflict as exc:
            raise fail(f"not trained: {exc}") from None
        print_card(row.card, f"lead model v{row.version} ({row.status})")


@models_app.command("leads")
def models_leads() -> None:
    """The lead models, newest first, with their held-out figures."""
    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.scoring import service

    load_settings()
    with readable_errors(), session_scope(write=False) as session:
        status = service.training_status(session, SYSTEM)
        out = console()
        out.print(
            f"scoring with {status['scorer']}; {status['closed']} closed leads "
            f"({status['converted']} converted, {status['lost']} lost; {status['needed']} needed)"
        )
        table = Table("version", "status", "trained", "AUC", "Brier", "train", "held out")
        for row in service.list_models(session, SYSTEM):
            table.add_row(
                str(row.version),
                row.status,
                row.trained_at.strftime("%Y-%m-%d %H:%M"),
                f"{row.auc:.3f}" if row.auc is not None else "—",
                f"{row.brier:.3f}" if row.brier is not None else "—",
                str(row.n_train),
                str(row.n_test),
            )
        out.print(table)


@rollback_app.command("leads")
def rollback_leads(
    version: Annotated[int, typer.Argument(help="The version to make active")],
    as_: Annotated[str | None, typer.Option("--as", help="Act as this admin")] = None,
) -> None:
    """Make an earlier lead model the one that scores; every lead is rescored."""
    from nexa.core.db import session_scope
    from nexa.imports.service import actor_by_email
    from nexa.scoring import service

    ready_to_write()
    with readable_errors(), session_scope() as session:
        row = service.activate_model(session, actor_by_email(session, as_), version)
        console().print(f"lead model v{row.version} is active; leads rescored")


@rescore_app.command("leads")
def rescore_leads() -> None:
    """Score every live lead again (the nightly job does the same)."""
    from nexa.core.db import session_scope
    from nexa.scoring import service

    ready_to_write()
    with readable_errors(), session_scope() as session:
        stats = service.score_leads(session, None, reason="rescore")
    console().print(
        f"{stats['leads']} leads: {stats['rescored']} rescored, {stats['moved']} moved 5+ points, "
        f"{stats['explained']} explained"
    )


def parse_maps(values: list[str] | None) -> dict[str, str]:
    """``--map SRC=FIELD`` options as {SRC: FIELD}."""
    maps: dict[str, str] = {}
    for value in values or []:
        column, sep, target = value.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise fail(f"--map {value}: write it as COLUMN=FIELD, e.g. --map 'Job Title=title'")
        maps[column.strip()] = target.strip()
    return maps


def print_plan(prepared: Any) -> None:
    """The header's first half, before the import: the mapping and the split."""
    out = console()
    out.print("[bold]mapping[/bold] (file column → lead field):")
    width = max((len(c.column) for c in prepared.plan), default=0)
    for column in prepared.plan:
        out.print(f"  {escape(column.column):<{width}} → {escape(column.describe())}")
    out.print(f"split: {prepared.split}")
    for column in prepared.warnings:
        out.print(f"  [yellow]warning:[/yellow] {escape(column.warning())}")


def figure(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "nan"


@evaluate_app.command("leads")
def evaluate_leads(
    file: Annotated[Path, typer.Argument(help="CSV of historical leads", exists=True)],
    target: Annotated[str, typer.Option(help="The column saying whether the lead converted")],
    positive: Annotated[
        str | None, typer.Option(help="The value meaning converted (default 1/yes/true)")
    ] = None,
    exclude: Annotated[
        str | None, typer.Option(help="Columns to leave out, comma-separated")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="SRC=FIELD: read column SRC into the lead field FIELD ('custom': keep it as a "
            "custom field); repeatable",
        ),
    ] = None,
    no_map: Annotated[
        list[str] | None,
        typer.Option(
            "--no-map",
            help="Keep this column as a custom field even though its header names a lead field; "
            "repeatable",
        ),
    ] = None,
    date_column: Annotated[
        str | None, typer.Option(help="Split by this date column (default: row order)")
    ] = None,
    shuffle: Annotated[
        int | None,
        typer.Option(help="Shuffle rows with this seed first (a random split, for comparison)"),
    ] = None,
    stratify: Annotated[
        bool, typer.Option("--stratify", help="With --shuffle: the same share converted per side")
    ] = False,
    allow_refused: Annotated[
        bool,
        typer.Option(
            "--allow-refused", help="Evaluate even when more than 1 % of the rows are not used"
        ),
    ] = False,
    rolling: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Cut the held-out part into K consecutive slices and retrain before each on "
            "every earlier lead (as weekly retraining does); report the pooled figures",
        ),
    ] = None,
) -> None:
    """Import FILE into a scratch organization, train through the product, print held-out
    AUC, Brier score and the reliability table beside a plain gradient-boosting baseline on
    the same split. The mapping is printed first; values that do not fit a lead field are kept
    in a custom field. More than 1 % of the rows not used: the reasons, and exit code 1 unless
    --allow-refused. The last line is `AUC=<v> BASELINE_AUC=<v> BRIER=<v> BASELINE_BRIER=<v>
    HELD_OUT=<n> ROWS=<used>`; with --rolling K the figures are pooled over the K slices,
    beside a plain LightGBM retrained the same way, and the line adds `WORST_GAP=<points>
    BASELINE_WORST_GAP=<points> SLICES=<K>`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from nexa.scoring.flows import evaluate_leads as run

    load_settings()
    columns = [c.strip() for c in (exclude or "").split(",") if c.strip()]
    maps = parse_maps(map_)
    out = console()
    with (
        readable_errors(),
        Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=out,
            transient=True,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = run(
            file,
            target=target,
            positive=positive,
            exclude=columns,
            date_column=date_column,
            shuffle_seed=shuffle,
            stratify=stratify,
            maps=maps,
            no_map=[c.strip() for c in no_map or [] if c.strip()],
            allow_refused=allow_refused,
            rolling=rolling,
            progress=progress,
            on_plan=print_plan,
        )
    out.print(
        f"rows: {result.rows} read ({result.positives} converted), {result.imported} used, "
        f"{result.failed} refused ({result.refused_share * 100:.1f} %); "
        f"{result.custom_fields} custom fields; "
        f"import {result.seconds.get('import', 0):.0f} s, "
        f"train {result.seconds.get('train', 0):.0f} s"
    )
    if result.reasons:
        out.print("refused, the top reasons:")
        for reason, count in result.reasons:
            out.print(f"  {count:>7}  {escape(reason)}")
    if result.failed and result.converted_refused is not None:
        out.print(
            f"  the refused rows converted at {result.converted_refused:.1f} %, the rows used "
            f"at {result.converted_used:.1f} %"
        )
    if result.stopped:
        raise fail(
            f"not evaluated: {result.stopped}",
            "see the reasons above; change the mapping (--map, --no-map, --exclude) or pass "
            "--allow-refused to evaluate on the rows used",
        )
    print_card(result.card, "evaluation (scratch organization)")
    baseline = (
        f"AUC {figure(result.baseline_auc)}  Brier {figure(result.baseline_brier)}"
        if result.baseline_columns
        else "none (no column of the file it can use: numbers, or text with few values)"
    )
    out.print(f"  baseline (plain gradient boosting on the file's columns, same split): {baseline}")
    if (
        result.auc is not None
        and result.baseline_auc is not None
        and result.auc < result.baseline_auc
    ):
        out.print(
            "  [yellow]note:[/yellow] the product's model ranks below the plain baseline on "
            "this file"
        )
    if result.rolling is not None:
        print_rolling(result.rolling)
        rolled, plain = result.rolling, result.rolling["baseline"]
        typer.echo(
            f"AUC={figure(rolled['auc'])} BASELINE_AUC={figure(plain['auc'])} "
            f"BRIER={figure(rolled['brier'])} BASELINE_BRIER={figure(plain['brier'])} "
            f"WORST_GAP={gap(rolled['max_calibration_gap'])} "
            f"BASELINE_WORST_GAP={gap(plain['max_calibration_gap'])} "
            f"HELD_OUT={rolled['held_out_leads']} SLICES={len(rolled['slices'])} "
            f"ROWS={result.imported}"
        )
        return
    typer.echo(
        f"AUC={figure(result.auc)} BASELINE_AUC={figure(result.baseline_auc)} "
        f"BRIER={figure(result.brier)} BASELINE_BRIER={figure(result.baseline_brier)} "
        f"HELD_OUT={result.n_test} ROWS={result.imported}"
    )


def gap(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "nan"


def print_rolling(rolled: dict[str, Any]) -> None:
    """The rolling evaluation: per slice, then the pooled figures beside the baseline's."""
    out = console()
    slices = rolled["slices"]
    out.print(
        f"[bold]rolling evaluation[/bold]: the {rolled['held_out_leads']} held-out leads in "
        f"{len(slices)} consecutive slices, a model retrained before each on every earlier lead"
    )
    table = Table("slice", "leads", "trained on", "converted %", "AUC", "model")
    for k, row in enumerate(slices, start=1):
        table.add_row(
            str(k),
            str(row["leads"]),
            str(row["training_leads"]),
            f"{row['converted']:.1f}",
            figure(row["auc"]),
            row["algorithm"],
        )
    out.print(table)
    chosen = Counter(row["algorithm"] for row in slices)
    out.print("  models chosen: " + ", ".join(f"{name} {n}x" for name, n in chosen.items()))
    table = Table("score bin", "leads", "predicted %", "observed %", "gap")
    for row in rolled["reliability"]:
        table.add_row(
            str(row["bin"]),
            str(row["leads"]),
            f"{row['predicted']:.1f}",
            f"{row['observed']:.1f}",
            f"{row['gap']:+.1f}",
        )
    out.print(table)
    plain = rolled["baseline"]
    out.print(
        f"  pooled over the slices: AUC {figure(rolled['auc'])}  Brier {figure(rolled['brier'])}  "
        f"worst decile gap {gap(rolled['max_calibration_gap'])} points  expected calibration "
        f"error {rolled['ece']} points"
    )
    out.print(
        "  baseline (plain LightGBM on the file's columns and the creation order, retrained "
        f"before each slice): AUC {figure(plain['auc'])}  Brier {figure(plain['brier'])}  "
        f"worst decile gap {gap(plain['max_calibration_gap'])} points"
    )
    if rolled["auc"] is not None and plain["auc"] is not None and rolled["auc"] < plain["auc"]:
        out.print(
            "  [yellow]note:[/yellow] the product's model ranks below the plain rolling "
            "baseline on this file"
        )
